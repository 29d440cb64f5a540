"""boto3 against kds-serve: tags of a stream by pages, registered consumers by pages and by ARN, enhanced
monitoring, the capacity mode, and Kinesis's error codes for them. Run by test-tags-consumers.sh with the endpoint."""
import sys

from boto3_checks import check, client, error_code, finish

kinesis = client(sys.argv[1], retries={"max_attempts": 0})

kinesis.add_tags_to_stream(StreamName="orders", Tags={"team": "data", "env": "dev", "cost": "42"})
tags = []
start = {}
while True:  # pages of two, as a program reads them
    page = kinesis.list_tags_for_stream(StreamName="orders", Limit=2, **start)
    tags += page["Tags"]
    if not page["HasMoreTags"]:
        break
    start = {"ExclusiveStartTagKey": page["Tags"][-1]["Key"]}
check([t["Key"] for t in tags] == ["cost", "env", "team"], f"tags by pages {tags}")
kinesis.remove_tags_from_stream(StreamName="orders", TagKeys=["cost"])
check(error_code(kinesis.add_tags_to_stream, StreamName="orders",
                 Tags={f"k{i}": "v" for i in range(49)})[0] == "InvalidArgumentException", "51 tags refused")
check(error_code(kinesis.add_tags_to_stream, StreamName="missing", Tags={"a": "b"})[0] ==
      "ResourceNotFoundException", "tags of a missing stream")

arn = kinesis.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]["StreamARN"]
consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="billing")["Consumer"]
check(consumer["ConsumerStatus"] == "CREATING", f"registered {consumer}")
check(error_code(kinesis.register_stream_consumer, StreamARN=arn, ConsumerName="billing")[0] ==
      "ResourceInUseException", "a second registration of a name")
for i in range(3):
    kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=f"reader-{i}")
names = []
for page in kinesis.get_paginator("list_stream_consumers").paginate(StreamARN=arn,
                                                                  PaginationConfig={"PageSize": 3}):
    names += [c["ConsumerName"] for c in page["Consumers"]]
check(names == ["billing", "reader-0", "reader-1", "reader-2"], f"list_stream_consumers pages {names}")
described = kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])["ConsumerDescription"]
check(described["ConsumerStatus"] == "ACTIVE" and described["StreamARN"] == arn, f"described {described}")
kinesis.deregister_stream_consumer(StreamARN=arn, ConsumerName="reader-2")
check(error_code(kinesis.describe_stream_consumer, StreamARN=arn, ConsumerName="reader-2")[0] ==
      "ResourceNotFoundException", "a deregistered consumer is gone")
check(kinesis.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]["ConsumerCount"] == 3,
      "ConsumerCount")
check(error_code(kinesis.delete_stream, StreamName="orders")[0] == "ResourceInUseException",
      "DeleteStream with consumers, without EnforceConsumerDeletion")

enabled = kinesis.enable_enhanced_monitoring(StreamName="orders", ShardLevelMetrics=["IteratorAgeMilliseconds",
                                                                                    "IncomingBytes"])
check(enabled["DesiredShardLevelMetrics"] == ["IncomingBytes", "IteratorAgeMilliseconds"], f"enabled {enabled}")
monitoring = kinesis.describe_stream(StreamName="orders")["StreamDescription"]["EnhancedMonitoring"]
check(monitoring == [{"ShardLevelMetrics": ["IncomingBytes", "IteratorAgeMilliseconds"]}], f"described {monitoring}")
disabled = kinesis.disable_enhanced_monitoring(StreamName="orders", ShardLevelMetrics=["ALL"])
check(disabled["DesiredShardLevelMetrics"] == [], f"disabled {disabled}")
kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "PROVISIONED"})
check(error_code(kinesis.update_stream_mode, StreamARN=arn,
                 StreamModeDetails={"StreamMode": "ON_DEMAND"})[0] == "InvalidArgumentException", "ON_DEMAND")
finish()
