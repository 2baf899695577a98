using System.Globalization;

namespace Datacake.Streams.Access;

/// <summary>A LoRaWAN device EUI (64 bits). Network servers send it as 16 hex digits, in either case.</summary>
public readonly record struct DevEui(ulong Value)
{
    public static bool TryParse(ReadOnlySpan<char> hex, out DevEui eui)
    {
        // Some consoles show EUIs with separators ("70-B3-D5-..." or "70:b3:..."); accept those too.
        Span<char> digits = stackalloc char[16];
        var count = 0;
        foreach (var c in hex)
        {
            if (c is '-' or ':' or ' ')
            {
                continue;
            }

            if (count == 16 || !char.IsAsciiHexDigit(c))
            {
                eui = default;
                return false;
            }

            digits[count++] = c;
        }

        if (count == 16 && ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            eui = new DevEui(value);
            return true;
        }

        eui = default;
        return false;
    }

    public override string ToString() => Value.ToString("X16", CultureInfo.InvariantCulture);
}
