using Datacake.Streams.IntegrationTests.Core.RecordLog;
using Datacake.Streams.RecordLog.Faster;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.IntegrationTests.Log.Faster;

/// <summary>The shared record log contract against FasterLog on disk, a fresh directory per test.</summary>
public sealed class FasterRecordLogContractTests : RecordLogContract, IDisposable
{
    private readonly TempLogDirectory _directory = new();

    protected override async Task<IRecordLog> OpenAsync() =>
        await FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = _directory.Path });

    public void Dispose() => _directory.Dispose();
}
