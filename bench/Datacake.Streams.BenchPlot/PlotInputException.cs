namespace Datacake.Streams.BenchPlot;

/// <summary>The command line or the TSV cannot make the chart asked for; the message says what to change.</summary>
public sealed class PlotInputException(string message) : Exception(message);
