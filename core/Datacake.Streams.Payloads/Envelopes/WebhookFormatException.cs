namespace Datacake.Streams.Payloads.Envelopes;

/// <summary>Thrown inside a parser at the offending value; the parser's entry point turns it into a Malformed message.</summary>
internal sealed class WebhookFormatException(string path, string detail) : Exception(detail)
{
    public string Path { get; } = path;
}
