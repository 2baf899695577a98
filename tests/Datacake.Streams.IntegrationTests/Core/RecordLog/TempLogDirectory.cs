namespace Datacake.Streams.IntegrationTests.Core.RecordLog;

/// <summary>A directory under the system temp folder for one test's log files, deleted afterwards.</summary>
internal sealed class TempLogDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dcs-faster-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
