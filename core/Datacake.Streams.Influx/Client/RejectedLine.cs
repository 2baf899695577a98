namespace Datacake.Streams.Influx.Client;

/// <summary>A point the server refused: its 0-based index in the written batch, its line, and the server's reason.</summary>
public sealed record RejectedLine(int Index, string Line, string Reason);
