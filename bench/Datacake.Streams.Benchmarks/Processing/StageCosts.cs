using System.Diagnostics;
using System.Globalization;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Replay;
using Datacake.Streams.Processing.State;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;

namespace Datacake.Streams.Benchmarks.Processing;

/// <summary>
/// <c>stage-costs [rounds]</c>: what each step of the pipeline costs per record on one thread with no stream around
/// it, over the records of <see cref="PipelineThroughputBenchmark"/> (5-value JSON, 1,000 devices, one partition):
/// decode, HMAC verify, authorization, admission (replay guard + dedup), JSON decoding into line protocol, and the
/// written-side accept with one state save per 5,000 records. Set beside the pipeline's CPU-µs per record, the
/// difference is what the stream around the steps costs (hand-offs, batching, commits, GC). <c>SAVE_EVERY=n</c> in the
/// environment saves the state every n records instead of 5,000 (50,000 shows the accept cost nearly alone).
/// </summary>
public static class StageCosts
{
    public const string Command = "stage-costs";

    private const int Records = 250_000;
    private const int Devices = 1_000;
    private static readonly int SaveEvery = int.Parse(Environment.GetEnvironmentVariable("SAVE_EVERY") ?? "5000", CultureInfo.InvariantCulture);

    public static void Run(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        var signer = new AdapterSigner(AdapterKeyring.CreateRandom());
        var registry = new RegistryView();
        registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws", null)));
        var token = TokenHash.Of(AccessToken.New().Secret);
        registry.Apply(new TokenUpserted(new TokenGrant { TokenId = "t", Hash = token, WorkspaceId = "ws", Role = WorkspaceRole.Editor }));
        var devices = Enumerable.Range(0, Devices).Select(_ => DeviceId.New()).ToArray();
        foreach (var device in devices)
        {
            registry.Apply(new DeviceUpserted(new DeviceEntry { Id = device, WorkspaceId = "ws" }));
        }

        var uplinks = new UplinkDecoder(new DevicePayloadDecoder(registry, new JavaScriptDecoder(new JavaScriptDecoderOptions())));
        var directory = Path.Combine(Path.GetTempPath(), "dcs-stage-costs-" + Guid.NewGuid().ToString("N"));
        try
        {
            for (var round = 0; round < rounds; round++)
            {
                RunRound(round, signer, registry, token, devices, uplinks, Path.Combine(directory, round.ToString(CultureInfo.InvariantCulture)));
            }
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static void RunRound(int round, AdapterSigner signer, RegistryView registry, TokenHash token, DeviceId[] devices, UplinkDecoder uplinks, string directory)
    {
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var encoded = new byte[Records][];
        for (var i = 0; i < Records; i++)
        {
            var payload = string.Create(CultureInfo.InvariantCulture, $"{{\"temperature\":{i % 40}.5,\"humidity\":{i % 100},\"pressure\":1013.2,\"battery\":3.{i % 10},\"count\":{i}}}");
            encoded[i] = signer.EncodeSigned(new RawRecord
            {
                Version = RawRecord.CurrentVersion,
                DeviceId = devices[i % Devices],
                Source = SourceKind.Mqtt,
                ReceivedAtUnixNs = ((start - DateTimeOffset.UnixEpoch).Ticks * 100) + (i * 1_000_000L) + (round * 1_000L),
                MessageId = string.Create(CultureInfo.InvariantCulture, $"{round:x4}{i:x12}"),
                PayloadKind = PayloadKind.JsonValues,
                Payload = Encoding.UTF8.GetBytes(payload),
                Credential = token,
                CredentialKind = CredentialKind.Token,
            });
        }

        var raws = new RawRecord[Records];
        var decode = Time(() =>
        {
            for (var i = 0; i < Records; i++)
            {
                RawRecordCodec.TryDecode(encoded[i], out raws[i], out _);
            }
        });
        var verified = 0;
        var verify = Time(() =>
        {
            for (var i = 0; i < Records; i++)
            {
                verified += signer.Verify(encoded[i], raws[i]) ? 1 : 0;
            }
        });
        var authorized = 0;
        var authorize = Time(() =>
        {
            for (var i = 0; i < Records; i++)
            {
                authorized += registry.AuthorizeWrite(raws[i].Credential, raws[i].DeviceId, raws[i].ReceivedAt) == AuthenticationResult.Ok ? 1 : 0;
            }
        });

        var verdicts = new GuardedVerdicts(new PartitionStateStore(directory), new ReplayGuardOptions(), new DuplicateFilterOptions(), TimeProvider.System, registry, uplinks);
        using var state = verdicts.Open(0);
        var admitted = 0;
        var written = TimeSpan.Zero;
        var admit = Time(() =>
        {
            for (var i = 0; i < Records; i++)
            {
                admitted += state.Admit(raws[i], new LogPosition(0, i)).IsAccepted ? 1 : 0;
                if (i % SaveEvery == SaveEvery - 1)
                {
                    var at = Stopwatch.GetTimestamp();
                    state.Written(new LogPosition(0, i));
                    written += Stopwatch.GetElapsedTime(at);
                }
            }
        });

        var points = new RecordPoints();
        var values = new PointChunks();
        var meta = new PointChunks();
        var decodedOk = 0;
        var json = Time(() =>
        {
            for (var i = 0; i < Records; i++)
            {
                if (i % 256 == 0)
                {
                    values.Reset();
                    meta.Reset();
                    points.WriteInto(values, meta);
                }

                points.Reset(raws[i].DeviceId);
                decodedOk += state.Decode(raws[i], points).IsAccepted ? 1 : 0;
                points.Take();
            }
        });

        if (verified != Records || authorized != Records || admitted != Records || decodedOk != Records)
        {
            throw new InvalidOperationException($"verified {verified}, authorized {authorized}, admitted {admitted}, decoded {decodedOk} of {Records}");
        }

        Console.WriteLine(FormattableString.Invariant(
            $"round {round}: ns per record: decode {Ns(decode)}, verify {Ns(verify)}, authorize {Ns(authorize)}, admit {Ns(admit - written)}, written+save {Ns(written)}, json {Ns(json)}; sum {Ns(decode + verify + authorize + admit + json)}"));
    }

    private static string Ns(TimeSpan elapsed) => (elapsed.TotalNanoseconds / Records).ToString("F0", CultureInfo.InvariantCulture);

    private static TimeSpan Time(Action action)
    {
        var started = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(started);
    }
}
