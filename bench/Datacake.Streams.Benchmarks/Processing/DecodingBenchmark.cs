using BenchmarkDotNet.Attributes;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Records;

namespace Datacake.Streams.Benchmarks.Processing;

/// <summary>Decoding cost per record: CayenneLPP (5 fields), a JavaScript decoder call, a TTS uplink with decoded_payload.</summary>
[MemoryDiagnoser]
public class DecodingBenchmark
{
    private const string JsSource = """
        function decodeUplink(input) {
          var b = input.bytes;
          return { data: { temperature: ((b[0] << 8) | b[1]) / 100, humidity: b[2] / 2, battery: b[3] / 10, valve: b[4] === 1 } };
        }
        """;

    private static readonly byte[] _lpp = [0x03, 0x67, 0x01, 0x10, 0x05, 0x68, 0x61, 0x06, 0x71, 0x04, 0xD2, 0xFB, 0x2E, 0x00, 0x00];
    private static readonly byte[] _jsBytes = [0x09, 0x29, 0x61, 0x24, 0x01];

    private readonly DecodedPoints _points = new();
    private readonly JavaScriptDecoder _javaScript = new(new JavaScriptDecoderOptions());
    private UplinkDecoder _uplinks = null!;
    private RawRecord _ttsRecord;

    [GlobalSetup]
    public void Setup()
    {
        _uplinks = new UplinkDecoder(new DevicePayloadDecoder(new RegistryView(), _javaScript));
        var json = """
            {"end_device_ids":{"device_id":"eui-70b3d57ed0000001","dev_eui":"70B3D57ED0000001"},"received_at":"2026-11-28T11:59:59.9Z",
             "uplink_message":{"session_key_id":"AYr2xQ6kW0bTn1nq3kWQ0g==","f_port":2,"f_cnt":42,"frm_payload":"A2cBEAVnAP8=",
             "decoded_payload":{"temperature":21.5,"humidity":48,"co2":612,"battery":3.61,"door_open":false},
             "rx_metadata":[{"gateway_ids":{"gateway_id":"gw-1"},"rssi":-80,"channel_rssi":-80,"snr":7},{"gateway_ids":{"gateway_id":"gw-2"},"rssi":-50,"snr":9.25}],
             "settings":{"data_rate":{"lora":{"bandwidth":125000,"spreading_factor":7}},"frequency":"868100000"},"received_at":"2026-11-28T11:59:59.9Z"}}
            """;
        _ttsRecord = new RawRecord
        {
            DeviceId = DeviceId.New(),
            Source = SourceKind.Tts,
            PayloadKind = PayloadKind.UplinkJson,
            Payload = System.Text.Encoding.UTF8.GetBytes(json),
        };
    }

    [Benchmark]
    public int CayenneLppDecode()
    {
        _points.Clear();
        CayenneLpp.Decode(_lpp, _points);
        return _points.Values.Count;
    }

    [Benchmark]
    public int JavaScriptDecoderCall()
    {
        _points.Clear();
        _javaScript.Decode("dec_bench", JsSource, _jsBytes, 2, _points);
        return _points.Values.Count;
    }

    [Benchmark]
    public int TtsUplinkDecodedPayload()
    {
        _points.Clear();
        _uplinks.Decode(_ttsRecord, null, _points);
        return _points.Values.Count + _points.Meta.Count;
    }
}
