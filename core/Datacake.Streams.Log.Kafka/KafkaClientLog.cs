using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Datacake.Streams.Log.Kafka;

/// <summary>Routes librdkafka's log lines and client errors to <see cref="ILogger"/> instead of stderr.</summary>
internal static partial class KafkaClientLog
{
    public static void Write(ILogger logger, LogMessage message)
    {
        var level = message.Level switch
        {
            SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
            SyslogLevel.Error => LogLevel.Error,
            SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
            _ => LogLevel.Debug,
        };
        if (logger.IsEnabled(level))
        {
            LogLine(logger, level, message.Name, message.Facility, message.Message);
        }
    }

    /// <summary>
    /// Client-level errors (brokers down, authentication) are mostly transient and librdkafka retries them itself;
    /// a fatal one means the idempotent producer stopped for good.
    /// </summary>
    public static void Error(ILogger logger, Error error)
    {
        if (error.IsFatal)
        {
            LogFatal(logger, error.Code, error.Reason);
        }
        else
        {
            LogTransient(logger, error.Code, error.Reason);
        }
    }

    [LoggerMessage(Message = "librdkafka {Client} {Facility}: {Text}")]
    private static partial void LogLine(ILogger logger, LogLevel level, string client, string facility, string text);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Kafka client failed fatally ({Code}: {Reason}); appends fail until the process restarts.")]
    private static partial void LogFatal(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka client error ({Code}: {Reason}); librdkafka retries.")]
    private static partial void LogTransient(ILogger logger, ErrorCode code, string reason);
}
