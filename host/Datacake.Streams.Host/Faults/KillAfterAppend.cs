using System.Diagnostics;
using System.Globalization;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Hosting.Faults;

/// <summary>
/// Test-only fault injection: the process SIGKILLs itself right after its Nth durable append to <c>dcs.raw</c>, before
/// the adapter that appended can answer its client. This is the death between append and reply of issue 19, made by
/// the real executable, so that a test can follow the client's retry into InfluxDB.
/// </summary>
/// <remarks>
/// Armed only by the environment variable <see cref="Variable"/>, read straight from the process environment: it is
/// no configuration key (no appsettings file, <c>Section__Key</c> variable or alias reaches it), unset it is not even
/// installed, and an armed process says so at start. A value that is not a positive whole number stops the start.
/// </remarks>
internal sealed class KillAfterAppend(IRecordLog inner, int appends, Action kill) : IRecordLog
{
    public const string Variable = "DCS_FAULT_KILL_AFTER_APPEND";

    private int _durable;

    /// <summary>N from <see cref="Variable"/>; null when it is not set.</summary>
    /// <exception cref="InvalidOperationException">It is set but not a positive whole number.</exception>
    public static int? ArmedAppends()
    {
        var value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var appends) && appends > 0
            ? appends
            : throw new InvalidOperationException($"{Variable} is '{value}'; it must be a positive whole number (the durable append after which the process kills itself), or unset.");
    }

    /// <summary>SIGKILL to this process: no shutdown, no flush, no reply, exactly like an OOM kill or a power cut.</summary>
    public static void KillThisProcess()
    {
        using var self = Process.GetCurrentProcess();
        self.Kill();

        // kill(2) delivers a signal to its own process before it returns; never go on to the reply regardless.
        Thread.Sleep(Timeout.Infinite);
    }

    public int PartitionCount(string topic) => inner.PartitionCount(topic);

    public async ValueTask<LogPosition> AppendAsync(string topic, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var position = await inner.AppendAsync(topic, key, value, cancellationToken).ConfigureAwait(false);

        // Only device records count: the api's registry changes share the log and are no client's reply.
        if (topic == LogTopics.Raw && Interlocked.Increment(ref _durable) == appends)
        {
            kill();
        }

        return position;
    }

    public IRecordLogConsumer Subscribe(string topic, string group, StartPosition start = StartPosition.Earliest) => inner.Subscribe(topic, group, start);

    public ValueTask<bool> IsReachableAsync(CancellationToken cancellationToken = default) => inner.IsReachableAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
