-- The actors table. sort_name orders and searches case-insensitively; COLLATE "C" makes it compare by code point,
-- so one btree index serves name-prefix search and keyset pagination at any depth.
CREATE TABLE actors (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    birth_year  integer CHECK (birth_year BETWEEN 1850 AND 2100),
    country     text CHECK (length(country) <= 100),
    known_for   text CHECK (length(known_for) <= 200),
    sort_name   text COLLATE "C" GENERATED ALWAYS AS (lower(name)) STORED,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX actors_sort_name_id_idx ON actors (sort_name, id);

-- One row per person: what makes the seed (and any import) re-runnable without duplicates.
CREATE UNIQUE INDEX actors_name_birth_year_key ON actors (name, birth_year);
