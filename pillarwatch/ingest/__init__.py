"""Ways in for real platforms: an HTTP webhook receiver and a queue_log file follower.

Both map with models.sources and produce schema v1 events to Kafka, keyed by contact id,
at least once: a request is answered 2xx, or a file position saved, only after the broker
acknowledged (acks=all).
"""
