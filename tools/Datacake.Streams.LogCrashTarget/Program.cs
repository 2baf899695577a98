using System.Text;
using System.Threading.Channels;
using Datacake.Streams.RecordLog.Faster;

// Usage: Datacake.Streams.LogCrashTarget <data directory> <round> [writers]
// Each writer owns one key and appends "<round>:<writer>:<seq>" with seq = 0, 1, 2, ..., awaiting each append;
// after an append is acknowledged (durable) it prints "<writer> <seq>". The test kills the process with SIGKILL
// at some point and checks that every printed record is in the log, in order per key.
if (args.Length < 2)
{
    await Console.Error.WriteLineAsync("usage: <data directory> <round> [writers]");
    return 2;
}

var round = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
var writers = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 256;
const string Topic = "crash";

await using var log = await FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = args[0] });
var acks = Channel.CreateUnbounded<(int Writer, int Seq)>(new UnboundedChannelOptions { SingleReader = true });

async Task WriteAsync(int writer)
{
    var key = Encoding.UTF8.GetBytes($"crash-{writer:D4}");
    for (var seq = 0; ; seq++)
    {
        await log.AppendAsync(Topic, key, Encoding.UTF8.GetBytes($"{round}:{writer}:{seq}"));
        acks.Writer.TryWrite((writer, seq));
    }
}

async Task PrintAsync()
{
    // Buffered, flushed whenever the channel runs dry: an ack printed is always an ack received, and
    // acks still in the buffer at the kill are simply not claimed.
    using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
    while (await acks.Reader.WaitToReadAsync())
    {
        while (acks.Reader.TryRead(out var ack))
        {
            stdout.Write(ack.Writer);
            stdout.Write(' ');
            stdout.WriteLine(ack.Seq);
        }

        stdout.Flush();
    }
}

_ = Task.Run(PrintAsync);
var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(() => WriteAsync(w))).ToArray();

// A safety stop in case the test that should kill this process died first.
await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(TimeSpan.FromMinutes(3)));
return 1;
