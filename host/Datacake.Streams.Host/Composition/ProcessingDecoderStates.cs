using Datacake.Streams.Access;
using Datacake.Streams.Api.Decoders;
using Datacake.Streams.Processing.Decoding;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Hosting.Composition;

/// <summary>
/// A decoder's state for the API from this node's processing: suspensions live in the memory of the process that
/// decodes (<see cref="DecoderSuspensions"/>), so a node without the process role answers <c>unknown</c>.
/// </summary>
internal sealed class ProcessingDecoderStates(JavaScriptDecoder decoders, IOptions<StreamsOptions> streams) : IDecoderStates
{
    private readonly bool _processes = streams.Value.ParsedRoles.HasFlag(NodeRoles.Process);

    public DecoderState StateOf(DecoderEntry decoder)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        if (!_processes)
        {
            return new DecoderState(DecoderState.Unknown, "this node does not process records, so it cannot tell whether processing suspended the decoder");
        }

        return decoders.SuspensionOf(decoder.Id, decoder.Source) is { } suspension
            ? new DecoderState(DecoderState.Suspended, suspension.Reason, suspension.Since)
            : new DecoderState(DecoderState.Active);
    }
}
