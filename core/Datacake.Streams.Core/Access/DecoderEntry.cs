namespace Datacake.Streams.Access;

/// <summary>
/// A workspace's JavaScript payload decoder as processing nodes need it: its source travels on <c>dcs.registry</c>
/// so that every processor, on any machine, decodes with the version the workspace saved last.
/// </summary>
/// <param name="Id">Opaque id that <see cref="DeviceEntry.DecoderId"/> names.</param>
/// <param name="WorkspaceId">Owner: a device may use only a decoder of its own workspace or an ancestor.</param>
/// <param name="Source">JavaScript defining <c>Decoder(bytes, port)</c> or <c>decodeUplink(input)</c>.</param>
public sealed record DecoderEntry(string Id, string WorkspaceId, string Source);
