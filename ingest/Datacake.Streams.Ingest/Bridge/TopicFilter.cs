using System.Text;

namespace Datacake.Streams.Ingest.Bridge;

/// <summary>The rules of an MQTT subscription topic filter (MQTT 5 section 4.7), checked before a broker refuses it.</summary>
public static class TopicFilter
{
    public static bool IsValid(string? filter, out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(filter))
        {
            error = "a topic filter is empty";
            return false;
        }

        // A UTF-8 string field of MQTT holds at most 65,535 bytes.
        if (Encoding.UTF8.GetByteCount(filter) > ushort.MaxValue)
        {
            error = "a topic filter is longer than 65,535 UTF-8 bytes";
            return false;
        }

        if (filter.Contains('\0', StringComparison.Ordinal))
        {
            error = $"topic filter '{filter}' contains U+0000";
            return false;
        }

        var segments = filter.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.Contains('#', StringComparison.Ordinal) && (segment != "#" || i != segments.Length - 1))
            {
                error = $"topic filter '{filter}': '#' must be the whole last segment";
                return false;
            }

            if (segment.Contains('+', StringComparison.Ordinal) && segment != "+")
            {
                error = $"topic filter '{filter}': '+' must be a whole segment";
                return false;
            }
        }

        return true;
    }
}
