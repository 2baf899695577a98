using Datacake.Streams.Access;

namespace Datacake.Streams.Api.Decoders;

/// <summary>
/// A decoder's state as its owner sees it in <c>GET /v1/decoders/{id}</c>: <c>active</c>, <c>suspended</c> (with the
/// reason and since when) or <c>unknown</c> (this node does not process records, so it cannot tell).
/// </summary>
public sealed record DecoderState(string State, string? Reason = null, DateTimeOffset? Since = null)
{
    public const string Active = "active";
    public const string Suspended = "suspended";
    public const string Unknown = "unknown";
}

/// <summary>
/// The seam to processing's decoder suspensions: the API does not reference the pipeline; the host wires the
/// implementation that asks this node's decoders.
/// </summary>
public interface IDecoderStates
{
    /// <summary>The state of this version (id and source) of the decoder.</summary>
    DecoderState StateOf(DecoderEntry decoder);
}
