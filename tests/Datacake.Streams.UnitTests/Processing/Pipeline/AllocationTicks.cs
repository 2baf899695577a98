using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Datacake.Streams.UnitTests.Processing.Pipeline;

internal sealed class AllocationTicks : EventListener
{
    public readonly ConcurrentDictionary<string, long> ByType = new();
    public volatile bool On;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!On || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null)
        {
            return;
        }

        var name = e.PayloadNames!.IndexOf("TypeName") is var t and >= 0 ? e.Payload[t]?.ToString() ?? "?" : "?";
        var amount = e.PayloadNames!.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(e.Payload[a], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        var kind = e.PayloadNames!.IndexOf("AllocationKind") is var k and >= 0 ? e.Payload[k]?.ToString() : "?";
        var size = e.PayloadNames!.IndexOf("ObjectSize") is var o and >= 0 ? e.Payload[o]?.ToString() : "?";
        ByType.AddOrUpdate($"{name} kind={kind} size={size}", amount, (_, v) => v + amount);
    }
}
