-- The microservices' login role and database, idempotent: created when missing, and the password
-- (re)set on every run so the role converges on the stack's generated secret.
-- psql variables: role, db, password (set on stdin by fmc-postgresql-setup).

-- Keep the password out of the server log even if a statement below fails.
SET log_min_error_statement = panic;
SET log_statement = 'none';

SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'role', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
-- PostgreSQL lets PUBLIC connect to every database; only the owner needs this one.
SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', :'db') \gexec
