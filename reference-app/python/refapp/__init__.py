"""The seed's reference app: an orders API (FastAPI, PostgreSQL, Kafka) and a worker (Kafka, Redis, MQTT)."""
