using Datacake.Streams.Ids;

namespace Datacake.Streams.Ingest.Mqtt;

/// <summary>The MQTT topics of device ingest: publish to <c>devices/{id}/measurements</c>; subscribe only under <c>devices/{id}/</c>.</summary>
internal static class MeasurementTopic
{
    private const string Prefix = "devices/";
    private const string Suffix = "/measurements";

    /// <summary>The device of a publish topic; false for anything but exactly <c>devices/{id}/measurements</c>.</summary>
    public static bool TryParsePublish(string? topic, out DeviceId device)
    {
        device = default;
        return topic is not null
            && topic.Length == Prefix.Length + DeviceId.TextLength + Suffix.Length
            && topic.StartsWith(Prefix, StringComparison.Ordinal)
            && topic.EndsWith(Suffix, StringComparison.Ordinal)
            && DeviceId.TryParse(topic.AsSpan(Prefix.Length, DeviceId.TextLength), out device);
    }

    /// <summary>The same for a topic as the PUBLISH packet carries it, UTF-8 in place.</summary>
    public static bool TryParsePublish(ReadOnlySpan<byte> topic, out DeviceId device)
    {
        device = default;
        if (topic.Length != Prefix.Length + DeviceId.TextLength + Suffix.Length
            || !topic.StartsWith("devices/"u8)
            || !topic.EndsWith("/measurements"u8))
        {
            return false;
        }

        // The id is ASCII when valid; any other byte fails the parse after widening.
        Span<char> id = stackalloc char[DeviceId.TextLength];
        var bytes = topic.Slice(Prefix.Length, DeviceId.TextLength);
        for (var i = 0; i < id.Length; i++)
        {
            id[i] = (char)bytes[i];
        }

        return DeviceId.TryParse(id, out device);
    }

    /// <summary>
    /// The one device a subscription filter stays within: <c>devices/{id}</c> or <c>devices/{id}/...</c> with a literal id
    /// (wildcards allowed only below it). A filter with a wildcard in place of the id, or <c>#</c>, names no device.
    /// </summary>
    public static bool TryParseSubscription(string? filter, out DeviceId device)
    {
        device = default;
        if (filter is null || !filter.StartsWith(Prefix, StringComparison.Ordinal) || filter.Length < Prefix.Length + DeviceId.TextLength)
        {
            return false;
        }

        var rest = filter.AsSpan(Prefix.Length);
        return (rest.Length == DeviceId.TextLength || rest[DeviceId.TextLength] == '/')
            && DeviceId.TryParse(rest[..DeviceId.TextLength], out device);
    }
}
