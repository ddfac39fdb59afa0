"""The events service: PF meetings, trainings, awareness events and their outcomes, and trial projects.

- `event_catalogue.py`      events: schedule, change, status (planned → open → closed → held | cancelled), listings
- `registration_desk.py`    registrations after CiviEvent: places under the event's row lock, waitlist offers,
                            approval, encrypted personal data (`personal_data.py`), audited CSV export, erasure
- `outcomes.py`             attendance (per registration or head counts by category), surveys, handouts
- `trial_projects.py`       試行的事業 with contractors, KPI targets and outcome verification
- `statistics.py`           dashboard figures per area code and fiscal year (`fiscal_year.py`: April–March, 令和)
- `local_copies.py`         PFs, organisations, memberships copied from the members service's events
- rules without I/O: `registration_lifecycle.py`, `event_lifecycle.py`, `survey_results.py`, `handouts.py`,
  `trial_project_rules.py`, `access.py` (who manages / reads), `vocabulary.py`, `text_search.py`
"""
