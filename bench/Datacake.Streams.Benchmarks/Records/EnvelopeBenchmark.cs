using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Records;

namespace Datacake.Streams.Benchmarks.Records;

/// <summary>Envelope encode+sign and decode+verify of a typical HTTP record (200-byte JSON payload).</summary>
[MemoryDiagnoser]
public class EnvelopeBenchmark
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly AdapterSigner _signer = new(AdapterKeyring.CreateRandom());
    private RawRecord _record;
    private byte[] _encoded = [];

    [GlobalSetup]
    public void Setup()
    {
        var json = "{\"temperature\":21.53,\"humidity\":48.2,\"pressure\":1013.25,\"co2\":612,\"battery\":3.71,\"note\":\"" + new string('x', 110) + "\"}";
        _record = new RawRecord
        {
            DeviceId = DeviceId.New(),
            Source = SourceKind.Http,
            ReceivedAtUnixNs = 1_764_000_000_000_000_000,
            MessageId = "2c1f6e0a-idempotency",
            PayloadKind = PayloadKind.JsonValues,
            Payload = Encoding.UTF8.GetBytes(json)[..200],
            Credential = AccessToken.New().Hash,
            CredentialKind = CredentialKind.Token,
        };
        _encoded = _signer.EncodeSigned(_record);
    }

    [Benchmark]
    public int EncodeAndSign()
    {
        _buffer.ResetWrittenCount();
        _signer.EncodeSigned(_record, _buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public bool DecodeAndVerify() =>
        RawRecordCodec.TryDecode(_encoded, out var record, out _) && _signer.Verify(_encoded, record);
}
