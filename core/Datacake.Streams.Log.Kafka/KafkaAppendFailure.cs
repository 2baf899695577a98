using Confluent.Kafka;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Log.Kafka;

/// <summary>
/// Turns a failed produce into what the caller of <see cref="IRecordLog.AppendAsync"/> can act on:
/// a record the brokers will never take is the caller's mistake (<see cref="ArgumentException"/>);
/// anything else means the log cannot take records right now (<see cref="RecordLogUnavailableException"/>),
/// and the device retries later.
/// </summary>
internal static class KafkaAppendFailure
{
    public static Exception From(Error error, string topic, Exception? inner = null) => error.Code switch
    {
        ErrorCode.MsgSizeTooLarge or ErrorCode.InvalidMsgSize or ErrorCode.RecordListTooLarge =>
            new ArgumentException($"The record is larger than the brokers accept on topic '{topic}' ({error.Reason}).", inner),
        ErrorCode.TopicException or ErrorCode.Local_UnknownPartition =>
            new ArgumentException($"Topic '{topic}' cannot take records ({error.Code}: {error.Reason}).", inner),
        _ => new RecordLogUnavailableException(Describe(error, topic), inner),
    };

    private static string Describe(Error error, string topic) => error.Code switch
    {
        ErrorCode.Local_MsgTimedOut =>
            $"Kafka did not acknowledge the record on '{topic}' within the delivery timeout; brokers unreachable or overloaded ({error.Reason}).",
        ErrorCode.Local_QueueFull =>
            $"The Kafka producer queue is full: records are produced faster than the brokers acknowledge them ({error.Reason}).",
        ErrorCode.Local_AllBrokersDown or ErrorCode.Local_Transport or ErrorCode.Local_Resolve or ErrorCode.BrokerNotAvailable or ErrorCode.NetworkException =>
            $"Kafka brokers are unreachable ({error.Code}: {error.Reason}).",
        _ when error.IsFatal =>
            $"The Kafka producer hit a fatal error and takes no more records; restart the process ({error.Code}: {error.Reason}).",
        _ => $"Kafka refused the record on '{topic}' ({error.Code}: {error.Reason}).",
    };
}
