-- 400 realistic, deterministic actors. ON CONFLICT makes the seed safe to run again (it adds nothing twice).
WITH
first_names(n, first_name) AS (
    SELECT row_number() OVER () - 1, v FROM unnest(ARRAY[
        'Ava', 'Liam', 'Sofia', 'Noah', 'Isabella', 'Mateo', 'Chloé', 'Hiroshi', 'Amara', 'Lars',
        'Priya', 'Diego', 'Ingrid', 'Kwame', 'Mei', 'Olivier', 'Zainab', 'Tomasz', 'Lucía', 'Arjun',
        'Greta', 'Rafael', 'Yuki', 'Nadia', 'Finn', 'Leila', 'Joaquín', 'Saoirse', 'Emeka', 'Anouk',
        'Björn', 'Camila', 'Dmitri', 'Elif', 'Gabriel', 'Hana', 'Idris', 'Julia', 'Kenji', 'Marta'
    ]) AS v
),
last_names(n, last_name) AS (
    SELECT row_number() OVER () - 1, v FROM unnest(ARRAY[
        'Anderson', 'Bergström', 'Castillo', 'Dubois', 'Eriksen', 'Fernández', 'García', 'Hoffmann',
        'Ibrahim', 'Jansen', 'Kowalski', 'Lindqvist', 'Moreau', 'Nakamura', 'Okafor', 'Petrov',
        'Quinn', 'Rossi', 'Sato', 'Tanaka', 'Umarov', 'Varga', 'Walsh', 'Xu', 'Yilmaz',
        'Zhang', 'Almeida', 'Brennan', 'Chatterjee', 'Delgado', 'Esposito', 'Fischer', 'Gallagher',
        'Haddad', 'Ito', 'Jovanović', 'Kim', 'Larsen', 'Mendoza', 'Novak'
    ]) AS v
),
countries(n, country) AS (
    SELECT row_number() OVER () - 1, v FROM unnest(ARRAY[
        'United States', 'United Kingdom', 'France', 'Japan', 'Nigeria', 'India', 'Brazil', 'Germany',
        'Italy', 'Spain', 'Sweden', 'South Korea', 'Mexico', 'Ireland', 'Poland', 'Turkey', 'Canada'
    ]) AS v
),
films(n, film) AS (
    SELECT row_number() OVER () - 1, v FROM unnest(ARRAY[
        'The Quiet Harbour', 'Midnight in Lisbon', 'Paper Lanterns', 'The Long Winter', 'Glass Orchard',
        'A Thousand Bridges', 'Northern Lights', 'The Cartographer', 'Salt and Silver', 'Echoes of Rain',
        'The Last Tram', 'Wild Strawberries Again', 'Iron Meadow', 'The Understudy', 'Kites over Kabul Street',
        'Harvest Moon', 'The Lighthouse Keeper', 'Blue Hour', 'Ferryman', 'The Orchard Road', 'Static',
        'Red Desert Blues', 'The Night Market', 'Small Victories', 'Tidewater'
    ]) AS v
),
seed AS (
    SELECT i FROM generate_series(0, 399) AS i
)
INSERT INTO actors (name, birth_year, country, known_for)
SELECT f.first_name || ' ' || l.last_name,
       1930 + (s.i * 37) % 75,
       c.country,
       m.film
FROM seed s
JOIN first_names f ON f.n = s.i % 40
JOIN last_names l ON l.n = (s.i + 3 * (s.i / 40)) % 40
JOIN countries c ON c.n = (s.i * 11) % 17
JOIN films m ON m.n = (s.i * 17) % 25
ORDER BY s.i
ON CONFLICT (name, birth_year) DO NOTHING;

ANALYZE actors;
