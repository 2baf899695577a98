using Datacake.Streams.IntegrationTests.Core.RecordLog;
using Datacake.Streams.Log.Kafka;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.IntegrationTests.Log.Kafka;

/// <summary>The shared record log contract against librdkafka's mock cluster; every open is a new client, as a restarted process would be.</summary>
[Collection(KafkaMockCluster.Collection)]
public sealed class KafkaRecordLogContractTests(KafkaMockCluster cluster) : RecordLogContract
{
    protected override Task<IRecordLog> OpenAsync() => Task.FromResult<IRecordLog>(new KafkaRecordLog(cluster.LogOptions()));
}
