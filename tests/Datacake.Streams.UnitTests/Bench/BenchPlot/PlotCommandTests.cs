using System.Buffers.Binary;
using Datacake.Streams.BenchPlot;

namespace Datacake.Streams.UnitTests.Bench.BenchPlot;

/// <summary>Renders real PNGs headless (SkiaSharp's Linux native library, a system font), as the bench scripts do.</summary>
public sealed class PlotCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("benchplot-").FullName;

    [Fact]
    public void A_line_chart_with_series_and_log_axes_is_written_at_the_asked_size()
    {
        var input = Table("path\tdevices\trate", "embedded\t1000\t90000", "embedded\t10000\t80000", "embedded\t10000\t84000", "kafka\t1000\t50000", "kafka\t100000\t40000");
        var output = Path.Combine(_folder, "line.png");

        var exit = PlotCommand.Run(["line", "--in", input, "--out", output, "--x", "devices", "--y", "rate", "--series", "path", "--log-x", "--log-y",
            "--title", "throughput", "--width", "640", "--height", "360"]);

        Assert.Equal(0, exit);
        Assert.Equal((640, 360), PngSize(output));
    }

    [Fact]
    public void A_bar_chart_with_min_max_columns_is_written()
    {
        var input = Table("scenario\trate\tlow\thigh", "direct\t300000\t280000\t310000", "http\t150000\t120000\t160000");
        var output = Path.Combine(_folder, "bars.png");

        var exit = PlotCommand.Run(["bar", "--in", input, "--out", output, "--label", "scenario", "--y", "rate", "--min", "low", "--max", "high"]);

        Assert.Equal(0, exit);
        Assert.Equal((900, 500), PngSize(output));
    }

    [Fact]
    public void Bad_input_exits_2_and_writes_nothing()
    {
        var input = Table("x\ty", "1\t2");
        var output = Path.Combine(_folder, "none.png");

        Assert.Equal(2, PlotCommand.Run(["line", "--in", input, "--out", output, "--x", "x", "--y", "missing"]));
        Assert.Equal(2, PlotCommand.Run(["line", "--in", input, "--out", output, "--x", "x", "--y", "y", "--width", "12"]));
        Assert.Equal(2, PlotCommand.Run(["pie", "--in", input, "--out", output]));
        Assert.False(File.Exists(output));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Table(params string[] lines)
    {
        var path = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".tsv");
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>Width and height from the IHDR chunk, after checking the PNG signature.</summary>
    private static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }
}
