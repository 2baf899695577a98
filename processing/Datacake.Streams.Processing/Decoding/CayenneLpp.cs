using System.Buffers.Binary;
using System.Globalization;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// Cayenne Low Power Payload: a sequence of [channel, type, data] with big-endian data of a fixed size per type.
/// Field names are <c>{type}_{channel}</c> (<c>temperature_1</c>); three-axis and GPS types add a component
/// (<c>accelerometer_6.x</c>, <c>gps_1.latitude</c>). Names come from a table filled on first use, so decoding a
/// payload allocates nothing once a (type, channel) has been seen.
/// </summary>
public static class CayenneLpp
{
    public const string DecoderId = "cayennelpp";

    private static readonly LppType[] _types =
    [
        new(0, "digital_in", 1, 1, false, []),
        new(1, "digital_out", 1, 1, false, []),
        new(2, "analog_in", 2, 0.01, true, []),
        new(3, "analog_out", 2, 0.01, true, []),
        new(101, "illuminance", 2, 1, false, []),
        new(102, "presence", 1, 1, false, []),
        new(103, "temperature", 2, 0.1, true, []),
        new(104, "humidity", 1, 0.5, false, []),
        new(113, "accelerometer", 2, 0.001, true, ["x", "y", "z"]),
        new(115, "barometer", 2, 0.1, false, []),
        new(134, "gyrometer", 2, 0.01, true, ["x", "y", "z"]),
        new(136, "gps", 3, 0, true, ["latitude", "longitude", "altitude"]),
    ];

    // GPS components scale differently: latitude/longitude 0.0001°, altitude 0.01 m.
    private static readonly double[] _gpsScales = [0.0001, 0.0001, 0.01];

    private static readonly sbyte[] _typeIndex = BuildTypeIndex();

    // Names per (type index, channel, component), filled lazily; a race writes equal strings.
    private static readonly string?[] _names = new string?[_types.Length * 256 * 3];

    public static DecodeResult Decode(ReadOnlySpan<byte> payload, IPointSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var count = 0;
        var position = 0;
        while (position < payload.Length)
        {
            if (payload.Length - position < 2)
            {
                return DecodeResult.Failed($"cayennelpp: truncated header at byte {position}");
            }

            var channel = payload[position];
            var typeId = payload[position + 1];
            var index = _typeIndex[typeId];
            if (index < 0)
            {
                return DecodeResult.Failed($"cayennelpp: unknown type {typeId} at byte {position + 1}");
            }

            var type = _types[index];
            var components = Math.Max(1, type.Components.Length);
            var size = type.Size * components;
            position += 2;
            if (payload.Length - position < size)
            {
                return DecodeResult.Failed($"cayennelpp: {type.Name} on channel {channel} needs {size} bytes, {payload.Length - position} left");
            }

            if ((count += components) > FieldRules.MaxFields)
            {
                return DecodeResult.Failed($"cayennelpp: more than {FieldRules.MaxFields} fields");
            }

            for (var c = 0; c < components; c++)
            {
                var raw = Read(payload.Slice(position + (c * type.Size), type.Size), type.Signed);
                var scale = type.Id == 136 ? _gpsScales[c] : type.Scale;
                sink.AddNumber(NameOf(index, channel, c), Math.Round(raw * scale, 6));
            }

            position += size;
        }

        return DecodeResult.Ok;
    }

    private static int Read(ReadOnlySpan<byte> data, bool signed) => data.Length switch
    {
        1 => signed ? (sbyte)data[0] : data[0],
        2 => signed ? BinaryPrimitives.ReadInt16BigEndian(data) : BinaryPrimitives.ReadUInt16BigEndian(data),
        _ => signed ? ((data[0] << 24) | (data[1] << 16) | (data[2] << 8)) >> 8 : (data[0] << 16) | (data[1] << 8) | data[2],
    };

    private static string NameOf(int typeIndex, byte channel, int component)
    {
        var slot = (((typeIndex * 256) + channel) * 3) + component;
        var name = _names[slot];
        if (name is null)
        {
            var type = _types[typeIndex];
            name = type.Name + "_" + channel.ToString(CultureInfo.InvariantCulture);
            if (type.Components.Length > 0)
            {
                name += "." + type.Components[component];
            }

            _names[slot] = name;
        }

        return name;
    }

    private static sbyte[] BuildTypeIndex()
    {
        var index = new sbyte[256];
        Array.Fill(index, (sbyte)-1);
        for (var i = 0; i < _types.Length; i++)
        {
            index[_types[i].Id] = (sbyte)i;
        }

        return index;
    }

    private sealed record LppType(byte Id, string Name, int Size, double Scale, bool Signed, string[] Components);
}
