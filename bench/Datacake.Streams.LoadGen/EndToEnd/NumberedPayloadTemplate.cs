using System.Buffers.Text;
using System.Text;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// The MQTT payload of <see cref="NumberedPoint.MqttPayload"/> with every number in a slot of fixed width, right-aligned
/// after spaces (JSON allows whitespace before a value): every message has the same length, so a PUBLISH is encoded
/// once and a sender only rewrites the slots. The values are those of <see cref="NumberedPoint"/>, computed in integer
/// tenths so that no double is formatted per message.
/// </summary>
internal static class NumberedPayloadTemplate
{
    // Widths: ms times stay 13 digits until 2286; seq from the warm-up's negatives to 11 digits; the rest by range.
    private const int TimeWidth = 14;
    private const int SeqWidth = 12;
    private const int TemperatureWidth = 4; // 10.1 .. 29.9
    private const int HumidityWidth = 3;    // -99 .. 99
    private const int PressureWidth = 4;    // 950 .. 1049
    private const int BatteryWidth = 3;     // 2.1 .. 3.9

    private static readonly int _time;
    private static readonly int _seq;
    private static readonly int _temperature;
    private static readonly int _humidity;
    private static readonly int _pressure;
    private static readonly int _battery;

    static NumberedPayloadTemplate()
    {
        var json = new StringBuilder("[{\"time\":");
        _time = Slot(json, TimeWidth);
        json.Append(",\"values\":{\"seq\":");
        _seq = Slot(json, SeqWidth);
        json.Append(",\"temperature\":");
        _temperature = Slot(json, TemperatureWidth);
        json.Append(",\"humidity\":");
        _humidity = Slot(json, HumidityWidth);
        json.Append(",\"pressure\":");
        _pressure = Slot(json, PressureWidth);
        json.Append(",\"battery\":");
        _battery = Slot(json, BatteryWidth);
        json.Append("}}]");
        Template = Encoding.ASCII.GetBytes(json.ToString());
    }

    /// <summary>The payload with every slot blank; <see cref="Write"/> fills them.</summary>
    public static byte[] Template { get; }

    public static int Length => Template.Length;

    /// <summary>Writes point <paramref name="seq"/>'s numbers into a copy of <see cref="Template"/>.</summary>
    public static void Write(Span<byte> payload, long baseMs, long seq)
    {
        Number(payload.Slice(_time, TimeWidth), NumberedPoint.TimeMs(baseMs, seq));
        Number(payload.Slice(_seq, SeqWidth), seq);
        Tenths(payload.Slice(_temperature, TemperatureWidth), 200 + (seq % 100));
        Number(payload.Slice(_humidity, HumidityWidth), seq % 100);
        Number(payload.Slice(_pressure, PressureWidth), 1000 + (seq % 50));
        Tenths(payload.Slice(_battery, BatteryWidth), 30 + (seq % 10));
    }

    private static int Slot(StringBuilder json, int width)
    {
        var at = json.Length;
        json.Append(' ', width);
        return at;
    }

    private static void Number(Span<byte> slot, long value)
    {
        Span<byte> digits = stackalloc byte[20];
        if (!Utf8Formatter.TryFormat(value, digits, out var written) || written > slot.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"wider than its {slot.Length}-byte slot");
        }

        slot[..^written].Fill((byte)' ');
        digits[..written].CopyTo(slot[^written..]);
    }

    /// <summary>A positive number of tenths as <c>W.F</c>, as <c>ToString("0.0")</c> writes it.</summary>
    private static void Tenths(Span<byte> slot, long tenths)
    {
        Number(slot[..^2], tenths / 10);
        slot[^2] = (byte)'.';
        slot[^1] = (byte)('0' + (tenths % 10));
    }
}
