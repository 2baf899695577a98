using System.Net;
using Datacake.Streams.IntegrationTests.Api.Queries;

namespace Datacake.Streams.IntegrationTests.Api.Retention;

/// <summary>
/// Each rollup tier refreshes on a schedule of its own (<c>RollupRefresher.RunTierAsync</c>): an h1 statement that
/// takes long (27 s a statement in the soak under a late stream) must not hold the m1 rollups and their marks back.
/// </summary>
public sealed class RollupScheduleTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_m1_tier_keeps_refreshing_while_an_h1_statement_hangs()
    {
        using var influxd = new HoldH1Rollups();
        await using QueryApiHost host = await QueryApiHost.StartAsync(
            settings: new Dictionary<string, string?> { ["Retention:M1:RefreshEvery"] = "00:00:01" },
            influxHandler: influxd);
        try
        {
            // A fresh database: h1 starts its catch-up over raw's 30 days, and its first statement is held.
            await influxd.Holding.Task.WaitAsync(s_deadline);

            // m1 reads the watermarks at each of its refreshes (every second here); with h1 holding a gate or a loop
            // the tiers shared, none would come while the h1 statement hangs.
            for (int read = 1; read <= 3; read++)
            {
                Assert.True(await influxd.ReadsWhileHolding.WaitAsync(s_deadline), $"m1 read the watermarks {read - 1} times in the {s_deadline.TotalSeconds} s after, while an h1 statement hung");
            }
        }
        finally
        {
            influxd.Release();
        }
    }

    /// <summary>Holds every h1 rollup statement until released; counts the watermark reads that come meanwhile.</summary>
    private sealed class HoldH1Rollups() : DelegatingHandler(new SocketsHttpHandler())
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Released once per watermark read that came while an h1 statement was held.</summary>
        public SemaphoreSlim ReadsWhileHolding { get; } = new(0);

        public void Release() => _release.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string form = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
            string query = WebUtility.UrlDecode(form);
            if (query.Contains("INTO \"", StringComparison.Ordinal) && query.Contains("\".\"h1\".:MEASUREMENT", StringComparison.Ordinal))
            {
                Holding.TrySetResult();
                await _release.Task.WaitAsync(cancellationToken);
            }
            else if (Holding.Task.IsCompleted && query.Contains("dcs_rollup_watermark", StringComparison.Ordinal) && query.Contains("GROUP BY \"tier\"", StringComparison.Ordinal))
            {
                ReadsWhileHolding.Release();
            }

            return await base.SendAsync(request, cancellationToken);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                ReadsWhileHolding.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
