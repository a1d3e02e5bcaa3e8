-- The demo's warehouse: what a billing and a data team keep for the growth review.
-- `quarterdeck demo` loads each <table>.csv beside this file into a SQLite database.
-- Timestamps are UTC; months and days are ISO dates (a month is its first day).

-- Billing: each product's MRR and paying customers at month end.
CREATE TABLE mrr_by_month (
    month      DATE    NOT NULL,
    product    TEXT    NOT NULL,
    customers  INTEGER NOT NULL,
    mrr_usd    INTEGER NOT NULL,
    PRIMARY KEY (month, product)
);

-- Billing: the same MRR and customers split by plan (product analytics only), what a
-- flagged MRR growth is broken down by.
CREATE TABLE mrr_by_plan (
    month      DATE    NOT NULL,
    product    TEXT    NOT NULL,
    plan       TEXT    NOT NULL,
    customers  INTEGER NOT NULL,
    mrr_usd    INTEGER NOT NULL,
    PRIMARY KEY (month, product, plan)
);

-- Billing: what moved MRR during the month (new, expansion, contraction, churn).
CREATE TABLE mrr_movements (
    month      DATE    NOT NULL,
    product    TEXT    NOT NULL,
    movement   TEXT    NOT NULL CHECK (movement IN ('new', 'expansion', 'contraction', 'churn')),
    customers  INTEGER NOT NULL,
    mrr_usd    INTEGER NOT NULL,
    PRIMARY KEY (month, product, movement)
);

-- Product: every organisation that signed up, and when it sent its first event.
CREATE TABLE organisations (
    org_id          TEXT      PRIMARY KEY,
    created_at      TIMESTAMP NOT NULL,
    first_event_at  TIMESTAMP            -- NULL: no event yet
);

-- Product: how each organisation found the product (the breakdown of its activation).
CREATE TABLE organisation_channels (
    org_id   TEXT PRIMARY KEY REFERENCES organisations (org_id),
    channel  TEXT NOT NULL      -- search, referral, docs quickstart, ads
);

-- Product: daily counts of key product events.
CREATE TABLE daily_events (
    day     DATE    NOT NULL,
    event   TEXT    NOT NULL,
    events  INTEGER NOT NULL,
    PRIMARY KEY (day, event)
);

-- Feedback: answers to "How likely are you to recommend us?" (0–10).
CREATE TABLE nps_responses (
    responded_at  TIMESTAMP NOT NULL,
    org_id        TEXT      NOT NULL,
    score         INTEGER   NOT NULL CHECK (score BETWEEN 0 AND 10)
);

-- Billing and product, per customer: what answers the review's discussion questions.
CREATE TABLE customers (
    customer_id  TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL,
    plan         TEXT    NOT NULL,
    icp          INTEGER NOT NULL CHECK (icp IN (0, 1)),  -- 1: fits the ideal customer profile
    signed_up    DATE    NOT NULL
);

-- Each customer's MRR at month end and its usage during the month.
CREATE TABLE customer_usage (
    month         DATE    NOT NULL,
    customer_id   TEXT    NOT NULL REFERENCES customers (customer_id),
    mrr_usd       INTEGER NOT NULL,
    active_users  INTEGER NOT NULL,
    events        INTEGER NOT NULL,
    PRIMARY KEY (month, customer_id)
);

-- Customers who left, when, their MRR then, and the reason they gave.
CREATE TABLE churned_customers (
    customer_id  TEXT    PRIMARY KEY REFERENCES customers (customer_id),
    churned_on   DATE    NOT NULL,
    mrr_usd      INTEGER NOT NULL,
    reason       TEXT    NOT NULL
);

-- Product: how far each new organisation got in onboarding (1: it did), and whether it
-- was still active in its third month.
CREATE TABLE onboarding (
    org_id            TEXT    PRIMARY KEY REFERENCES organisations (org_id),
    saved_insight     INTEGER NOT NULL,
    invited_teammate  INTEGER NOT NULL,
    active_week_2     INTEGER NOT NULL,
    active_month_3    INTEGER NOT NULL
);
