namespace Datacake.Streams.Ingest.Bridge;

/// <summary>
/// A topic pattern with one device placeholder, e.g. <c>sensors/{devEui}/up</c>: matches a concrete topic and yields the
/// text of the placeholder's segment, and gives the subscription filter (<c>sensors/+/up</c>).
/// </summary>
/// <remarks>Matching allocates nothing: it walks the topic once and returns the identity as a range of it.</remarks>
public sealed class TopicTemplate
{
    private readonly Segment[] _segments;

    private TopicTemplate(string text, Segment[] segments, DeviceIdentityKind identity)
    {
        Text = text;
        _segments = segments;
        Identity = identity;
        Filter = string.Join('/', segments.Select(s => s.Kind switch
        {
            SegmentKind.Literal => s.Prefix,
            SegmentKind.Rest => "#",
            _ => "+",
        }));
    }

    private enum SegmentKind
    {
        Literal,
        Single,
        Rest,
        Placeholder,
    }

    public string Text { get; }

    /// <summary>What the placeholder names.</summary>
    public DeviceIdentityKind Identity { get; }

    /// <summary>The MQTT topic filter that receives every topic this template can match.</summary>
    public string Filter { get; }

    public static bool TryParse(string? text, out TopicTemplate? template, out string? error)
    {
        template = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "the topic template is empty";
            return false;
        }

        var parts = text.Split('/');
        var segments = new Segment[parts.Length];
        var placeholder = -1;
        var identity = DeviceIdentityKind.DeviceId;
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part == "+")
            {
                segments[i] = new Segment(SegmentKind.Single, "", "");
                continue;
            }

            if (part == "#")
            {
                if (i != parts.Length - 1)
                {
                    error = "'#' may only be the last segment";
                    return false;
                }

                segments[i] = new Segment(SegmentKind.Rest, "", "");
                continue;
            }

            if (part.Contains('+', StringComparison.Ordinal) || part.Contains('#', StringComparison.Ordinal))
            {
                error = $"segment '{part}': '+' and '#' stand alone in a segment";
                return false;
            }

            var open = part.IndexOf('{', StringComparison.Ordinal);
            var close = part.IndexOf('}', StringComparison.Ordinal);
            if (open < 0 && close < 0)
            {
                segments[i] = new Segment(SegmentKind.Literal, part, "");
                continue;
            }

            if (open < 0 || close < open || part.IndexOf('{', open + 1) >= 0 || part.IndexOf('}', close + 1) >= 0)
            {
                error = $"segment '{part}': one placeholder in braces per segment";
                return false;
            }

            if (placeholder >= 0)
            {
                error = "one placeholder per template";
                return false;
            }

            if (!TryIdentity(part.AsSpan(open + 1, close - open - 1), out identity))
            {
                error = $"unknown placeholder '{part[open..(close + 1)]}': use {{deviceId}}, {{devEui}} or {{serial}}";
                return false;
            }

            placeholder = i;
            segments[i] = new Segment(SegmentKind.Placeholder, part[..open], part[(close + 1)..]);
        }

        if (placeholder < 0)
        {
            error = "the template needs a placeholder: {deviceId}, {devEui} or {serial}";
            return false;
        }

        error = null;
        template = new TopicTemplate(text, segments, identity);
        return true;
    }

    /// <summary>
    /// True when <paramref name="topic"/> matches; <paramref name="identity"/> is then the non-empty text the
    /// placeholder stands for, as a range of <paramref name="topic"/>.
    /// </summary>
    public bool TryMatch(ReadOnlySpan<char> topic, out Range identity)
    {
        identity = default;
        var position = 0;
        var exhausted = false;
        foreach (var segment in _segments)
        {
            if (segment.Kind == SegmentKind.Rest)
            {
                // "a/#" matches "a" as well as everything below it (MQTT 4.7.1.2).
                return true;
            }

            if (exhausted)
            {
                return false;
            }

            var slash = topic[position..].IndexOf('/');
            var end = slash < 0 ? topic.Length : position + slash;
            var text = topic[position..end];
            switch (segment.Kind)
            {
                case SegmentKind.Literal when !text.SequenceEqual(segment.Prefix):
                    return false;
                case SegmentKind.Placeholder:
                    if (text.Length <= segment.Prefix.Length + segment.Suffix.Length
                        || !text.StartsWith(segment.Prefix, StringComparison.Ordinal)
                        || !text.EndsWith(segment.Suffix, StringComparison.Ordinal))
                    {
                        return false;
                    }

                    identity = new Range(position + segment.Prefix.Length, end - segment.Suffix.Length);
                    break;
            }

            exhausted = slash < 0;
            position = end + 1;
        }

        return exhausted;
    }

    public override string ToString() => Text;

    private static bool TryIdentity(ReadOnlySpan<char> name, out DeviceIdentityKind identity)
    {
        if (name.Equals("deviceId", StringComparison.OrdinalIgnoreCase))
        {
            identity = DeviceIdentityKind.DeviceId;
            return true;
        }

        if (name.Equals("devEui", StringComparison.OrdinalIgnoreCase))
        {
            identity = DeviceIdentityKind.DevEui;
            return true;
        }

        if (name.Equals("serial", StringComparison.OrdinalIgnoreCase))
        {
            identity = DeviceIdentityKind.Serial;
            return true;
        }

        identity = default;
        return false;
    }

    private readonly record struct Segment(SegmentKind Kind, string Prefix, string Suffix);
}
