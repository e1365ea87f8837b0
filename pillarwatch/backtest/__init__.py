"""`pillarwatch backtest`: recorded events through the real pipeline in event time, the metrics
recorded at a fixed step of event time, and the alert rules evaluated over them by Prometheus.

record.py   feed the events to an embedded broker and a worker, scrape per step of event time
openmetrics.py  the scrapes as one OpenMetrics file (families contiguous, timestamps)
prometheus.py   blocks (promtool), a Prometheus on them, recording rules backfilled by layer
alerts.py   firing intervals from range queries of each alert, honouring `for:`
compare.py  two rule sets: pages that appear, disappear or move
report.py   a PNG per alert: value, threshold, firing intervals shaded
"""
