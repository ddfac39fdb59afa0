"""Survey results of an event: questions with aggregated answers, and the standard questions that make the
same KPI comparable across events and fiscal years (domain.md §3.3, §5.1).

A question is single choice, multiple choice, a scale, or free text. We keep aggregates, not individual
answers: per option the number of respondents who chose it, and per question the number who answered it
(N differs per question, e.g. 登別市 N=41/47/50).
"""
from __future__ import annotations

from dataclasses import dataclass

KINDS = ("single_choice", "multiple_choice", "scale", "free_text")


@dataclass(frozen=True)
class Template:
    code: str
    kind: str
    text: str
    options: tuple[tuple[str, str], ...]
    positive: tuple[str, ...]  # the options whose share is the KPI
    kpi_label: str


TEMPLATES: dict[str, Template] = {t.code: t for t in (
    Template("awareness_anyone", "single_choice",
             "孤独・孤立は誰にでも起こりうることだと、今回初めて知りましたか",
             (("first_time", "初めて知った"), ("knew", "以前から知っていた")),
             ("first_time",), "初めて知った割合"),
    Template("understanding", "scale", "本日の内容について理解が深まりましたか",
             (("4", "よく理解できた"), ("3", "理解できた"), ("2", "あまり理解できなかった"),
              ("1", "理解できなかった")),
             ("4", "3"), "理解が深まった割合"),
    Template("intention_to_act", "multiple_choice", "今後、どのような行動をとりたいと思いますか",
             (("act_with_perspective", "孤独・孤立の視点を持って行動する"),
              ("review_methods", "支援方法を見直す"),
              ("awareness_activity", "普及啓発活動を行う"),
              ("start_new_support", "新たな支援を始める"),
              ("survey_identify", "実態把握・調査を行う"),
              ("other", "その他"), ("none", "特にない")),
             ("act_with_perspective", "review_methods", "awareness_activity", "start_new_support",
              "survey_identify", "other"), "行動意向のある割合"),
    Template("navi_first_learned", "single_choice", "支援情報ナビを今回初めて知りましたか",
             (("first_time", "初めて知った"), ("knew", "以前から知っていた")),
             ("first_time",), "ナビを初めて知った割合"),
    Template("navi_learned_how", "multiple_choice", "支援情報ナビを何で知りましたか",
             (("training_meeting", "研修会・会議"), ("handout", "チラシ・配布物"), ("website", "ウェブサイト"),
              ("sns", "SNS"), ("acquaintance", "知人・関係者"), ("other", "その他")),
             ("training_meeting", "handout"), "研修会・配布物で知った割合"),
)}


class SurveyProblem(ValueError):
    def __init__(self, pointer: str, detail: str):
        super().__init__(detail)
        self.pointer = pointer
        self.detail = detail


def templates() -> list[dict]:
    """The standard questions, so that forms and dashboards use the same codes across events and years."""
    return [{**question_from_template(t.code), "kpi_label": t.kpi_label, "positive_options": list(t.positive)}
            for t in TEMPLATES.values()]


def question_from_template(code: str) -> dict:
    t = TEMPLATES[code]
    return {"template_code": t.code, "kind": t.kind, "text": t.text,
            "options": [{"code": c, "label": label} for c, label in t.options]}


def normalise_questions(questions: list[dict], respondents: int) -> list[dict]:
    """Fill template questions, check every count; raises SurveyProblem with a JSON pointer."""
    out = []
    for i, q in enumerate(questions):
        q = dict(q)
        code = q.get("template_code")
        if code:
            if code not in TEMPLATES:
                raise SurveyProblem(f"#/questions/{i}/template_code", "unknown standard question")
            base = question_from_template(code)
            q = {**base, **{k: v for k, v in q.items() if v is not None and k not in ("kind", "options")},
                 "kind": base["kind"], "options": base["options"]}
            if not q.get("text"):
                q["text"] = base["text"]
        kind = q.get("kind")
        if kind not in KINDS:
            raise SurveyProblem(f"#/questions/{i}/kind", "unknown question kind")
        answered = int(q.get("answered", respondents))
        if answered < 0 or answered > respondents:
            raise SurveyProblem(f"#/questions/{i}/answered", "more answers than respondents")
        counts = {str(k): int(v) for k, v in (q.get("counts") or {}).items()}
        options = q.get("options") or []
        codes = [o["code"] for o in options]
        if kind == "free_text":
            if counts:
                raise SurveyProblem(f"#/questions/{i}/counts", "free-text questions have no option counts")
        else:
            if not options:
                raise SurveyProblem(f"#/questions/{i}/options", "a choice question has options")
            if len(set(codes)) != len(codes):
                raise SurveyProblem(f"#/questions/{i}/options", "option codes repeat")
            unknown = set(counts) - set(codes)
            if unknown:
                raise SurveyProblem(f"#/questions/{i}/counts", "counts name options the question does not have")
            if any(v < 0 for v in counts.values()):
                raise SurveyProblem(f"#/questions/{i}/counts", "counts are not negative")
            if kind in ("single_choice", "scale") and sum(counts.values()) > answered:
                raise SurveyProblem(f"#/questions/{i}/counts", "more choices than answers to a single-choice question")
            if kind == "multiple_choice" and any(v > answered for v in counts.values()):
                raise SurveyProblem(f"#/questions/{i}/counts", "an option chosen by more people than answered")
            counts = {c: counts.get(c, 0) for c in codes}
        out.append({"position": i + 1, "template_code": code, "kind": kind, "text": q["text"],
                    "options": options, "answered": answered, "counts": counts,
                    "free_text_answers": int(q.get("free_text_answers") or 0)})
    return out


def share(count: int, base: int) -> float | None:
    return round(count / base, 4) if base else None


def question_summary(q: dict) -> dict:
    """Per option its count and share of those who answered the question."""
    answered = q["answered"]
    return {**q, "shares": {c: share(n, answered) for c, n in q["counts"].items()}}


def kpi(template_code: str, counts: dict[str, int], answered: int) -> dict:
    """The template's KPI: respondents choosing a positive option / respondents who answered.

    For a multiple-choice question one person may tick several positive options, so the KPI there is
    the largest positive option's share (a lower bound of "any positive") unless people were counted choosing
    `none`, in which case it is 1 − share(none). (Stored counts list every option, so a zero `none` only means
    nobody reported it, not that everyone ticked a positive option.)"""
    t = TEMPLATES[template_code]
    if t.kind == "multiple_choice":
        if counts.get("none", 0) > 0 and t.code == "intention_to_act":
            positive = answered - counts.get("none", 0)
        else:
            positive = max((counts.get(c, 0) for c in t.positive), default=0)
    else:
        positive = sum(counts.get(c, 0) for c in t.positive)
    return {"template_code": t.code, "label": t.kpi_label, "positive": positive, "answered": answered,
            "rate": share(positive, answered)}


def response_rate(respondents: int, participants: int | None) -> float | None:
    return share(respondents, participants) if participants else None
