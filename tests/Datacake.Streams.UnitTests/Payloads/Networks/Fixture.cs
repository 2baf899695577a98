namespace Datacake.Streams.UnitTests.Payloads.Networks;

/// <summary>The vendor-format sample bodies under Payloads/Networks/Fixtures, copied next to the test assembly.</summary>
internal static class Fixture
{
    public static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Payloads", "Networks", "Fixtures", name));

    public static string Text(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Payloads", "Networks", "Fixtures", name));

    public static long UnixNs(string rfc3339) =>
        (DateTimeOffset.Parse(rfc3339, System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.UnixEpoch).Ticks * 100;
}
