namespace Datacake.Streams.Access;

/// <summary>What a token may do with one device it lists.</summary>
public enum DeviceAccess
{
    None = 0,
    Read = 1,
    ReadWrite = 2,
}
