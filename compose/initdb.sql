-- The roles of README's "An external PostgreSQL", made once when the volume is new.
-- POSTGRES_USER (causa) owns the database and runs the migrations.
CREATE ROLE causa_runtime NOLOGIN;
CREATE ROLE causa_app LOGIN PASSWORD 'causa-app-password' IN ROLE causa_runtime;
CREATE ROLE causa_staff NOLOGIN ROLE causa_runtime;
CREATE ROLE causa_client NOLOGIN ROLE causa_runtime;
