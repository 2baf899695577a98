using Datacake.Streams.Hosting;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Decoders;
using Datacake.Streams.Processing.Decoding;

namespace Datacake.Streams.Hosting.Composition;

/// <summary>The API's decoder dry run answered by processing's decoder, with the limits of production.</summary>
internal sealed class ProcessingDecoderDryRun(DecoderDryRun dryRun) : IDecoderDryRun
{
    public DecoderDryRunAnswer Run(DecoderEntry decoder, ReadOnlySpan<byte> payload, uint port)
    {
        var result = dryRun.Run(decoder, payload, port);
        var fields = new KeyValuePair<string, object?>[result.Fields.Count];
        for (int i = 0; i < fields.Length; i++)
        {
            fields[i] = new(result.Fields[i].Name, result.Fields[i].Value);
        }

        return new DecoderDryRunAnswer(result.Succeeded, fields, result.Error);
    }
}
