namespace Datacake.Streams.BenchPlot;

/// <summary>
/// The font for every text of a chart, registered from its file. ScottPlot 5.1 brings SkiaSharp's
/// NativeAssets.Linux.NoDependencies build, which has no fontconfig: a family name alone finds nothing on Linux and
/// the text would not be drawn. DejaVu Sans comes with Debian's fonts-dejavu-core (the bench scripts install it
/// when no font is there); Liberation and Noto with common desktop packages.
/// </summary>
public static class ChartFont
{
    public const string Family = "BenchPlot Sans";

    private static readonly string[] _candidates =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    ];

    private static readonly Lock _gate = new();
    private static string? _registered;

    /// <summary>Registers <paramref name="fontFile"/> (or the first candidate installed) once per process; returns the family to use.</summary>
    public static string Choose(string? fontFile)
    {
        var file = string.IsNullOrWhiteSpace(fontFile) ? _candidates.FirstOrDefault(File.Exists) : fontFile;
        if (file is null)
        {
            Console.Error.WriteLine("benchplot: no font file found (apt-get install fonts-dejavu-core); text may be missing");
            return ScottPlot.Fonts.Default;
        }

        if (!File.Exists(file))
        {
            throw new PlotInputException($"--font: no font file at {file}");
        }

        lock (_gate)
        {
            if (_registered != file)
            {
                ScottPlot.Fonts.AddFontFile(Family, file);
                _registered = file;
            }
        }

        return Family;
    }
}
