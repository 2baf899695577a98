using System.Globalization;
using System.Xml.Linq;

namespace Datacake.Streams.ReliabilityReport;

/// <summary>Reads the <c>UnitTestResult</c> elements of Visual Studio trx files (<c>dotnet test --logger trx</c>).</summary>
public static class TrxResults
{
    private static readonly XNamespace s_trx = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    public static IReadOnlyList<TestOutcome> Read(string trxXml)
    {
        var document = XDocument.Parse(trxXml);
        return
        [
            .. document.Descendants(s_trx + "UnitTestResult").Select(result => new TestOutcome(
                (string?)result.Attribute("testName") ?? string.Empty,
                (string?)result.Attribute("outcome") ?? "Unknown",
                TimeSpan.TryParse((string?)result.Attribute("duration"), CultureInfo.InvariantCulture, out var duration) ? duration : TimeSpan.Zero)),
        ];
    }

    public static IReadOnlyList<TestOutcome> ReadFolder(string folder) =>
        Directory.Exists(folder)
            ? [.. Directory.EnumerateFiles(folder, "*.trx", SearchOption.AllDirectories).Order(StringComparer.Ordinal).SelectMany(f => Read(File.ReadAllText(f)))]
            : [];
}
