"""Card-transaction producer: simulates the Fraud Detection Handbook's world and publishes it
to a Kinesis data stream (on AWS, or the local kinesalite one)."""
