namespace Datacake.Streams.Payloads.Fields;

/// <summary>The numeric fields of measurement <c>meta</c> (docs/DATA-MODEL.md).</summary>
public static class MetaFields
{
    public const string Rssi = "rssi";
    public const string Snr = "snr";
    public const string Gateways = "gateways";
    public const string FrameCounter = "f_cnt";
    public const string Port = "f_port";
    public const string Battery = "battery";
    public const string Margin = "margin";
}
