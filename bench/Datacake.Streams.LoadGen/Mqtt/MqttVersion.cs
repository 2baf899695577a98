namespace Datacake.Streams.LoadGen.Mqtt;

/// <summary>The protocol level a raw connection speaks; the value is the CONNECT packet's protocol level byte.</summary>
internal enum MqttVersion : byte
{
    V311 = 4,
    V500 = 5,
}

internal static class MqttVersions
{
    /// <summary><c>5</c> or <c>3.1.1</c> (also <c>3</c>, <c>4</c>, <c>311</c>) as the load tool's <c>--mqtt-version</c> takes it.</summary>
    public static MqttVersion Parse(string text) => text switch
    {
        "5" or "5.0" or "500" => MqttVersion.V500,
        "3.1.1" or "311" or "3" or "4" => MqttVersion.V311,
        _ => throw new ArgumentException($"--mqtt-version takes 5 or 3.1.1, not {text}"),
    };
}
