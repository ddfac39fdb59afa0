CREATE TABLE IF NOT EXISTS skeleton_referrals (id uuid PRIMARY KEY, body jsonb NOT NULL,
                                               created_at timestamptz NOT NULL DEFAULT now());
