using Datacake.Streams.BenchPlot;

namespace Datacake.Streams.UnitTests.Bench.BenchPlot;

public sealed class TsvTableTests
{
    [Fact]
    public void Skips_notes_and_blank_lines_and_reads_cells_by_column_name()
    {
        var table = TsvTable.Parse(["# written by a script", "x\trate", "", "1\t100.5", "10\t-"], "t.tsv");

        Assert.Equal(2, table.RowCount);
        Assert.Equal(100.5, table.Number(0, table.Column("rate")));
        Assert.True(double.IsNaN(table.Number(1, table.Column("rate"))));
        Assert.Equal("10", table.Text(1, table.Column("x")));
    }

    [Fact]
    public void A_row_with_the_wrong_cell_count_names_its_line()
    {
        var error = Assert.Throws<PlotInputException>(() => TsvTable.Parse(["x\ty", "1\t2\t3"], "t.tsv"));

        Assert.Contains("t.tsv:2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_column_lists_the_columns_there_are()
    {
        var table = TsvTable.Parse(["x\ty"], "t.tsv");

        var error = Assert.Throws<PlotInputException>(() => table.Column("rate"));

        Assert.Contains("x, y", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_text_where_a_number_belongs_is_a_typed_error()
    {
        var table = TsvTable.Parse(["x", "fast"], "t.tsv");

        Assert.Throws<PlotInputException>(() => table.Number(0, 0));
    }

    [Fact]
    public void Where_keeps_only_the_rows_with_that_value()
    {
        var table = TsvTable.Parse(["path\trate", "kafka\t1", "embedded\t2", "kafka\t3"], "t.tsv");

        var kafka = table.Where("path", "kafka");

        Assert.Equal([1.0, 3.0], Enumerable.Range(0, kafka.RowCount).Select(r => kafka.Number(r, 1)));
    }

    [Theory]
    [InlineData(new[] { 3.0 }, 3.0, 3.0, 3.0)]
    [InlineData(new[] { 5.0, 1.0, 3.0 }, 3.0, 1.0, 5.0)]
    [InlineData(new[] { 4.0, 1.0, 2.0, 10.0 }, 3.0, 1.0, 10.0)]
    [InlineData(new[] { double.NaN, 2.0 }, 2.0, 2.0, 2.0)]
    public void Spread_is_the_median_with_min_and_max_of_the_measured_values(double[] values, double median, double min, double max) =>
        Assert.Equal(new Spread(median, min, max), Spread.Of(values));
}
