-- Dashboard people's passwords, as argon2id PHC strings: secrets, so kept
-- here and never on the log (the team stream records only `PasswordSet`).
CREATE TABLE member_passwords (
    org text NOT NULL,
    username text NOT NULL,
    hash text NOT NULL,
    set_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org, username)
);
