using Datacake.Streams.Backups;
using Datacake.Streams.Backups.Transfer;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Datacake.Streams.Influx.Client;
using Spectre.Console;

namespace Datacake.Streams.Cli;

/// <summary>
/// <c>dcs export</c>: a workspace's points from the API into a file, with a progress line; <c>dcs import</c>: such a
/// file (line protocol, plain or gzip) into a new InfluxDB database, with its counts checked against the file's summary.
/// </summary>
public static class Transfer
{
    public static async Task<int> ExportAsync(
        Uri baseUrl, string token, string workspaceId, string path, string format, string? from, string? to, bool gzip, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.None }) { BaseAddress = baseUrl, Timeout = Timeout.InfiniteTimeSpan };
        var query = new List<string> { "format=" + Uri.EscapeDataString(format) };
        if (from is not null)
        {
            query.Add("from=" + Uri.EscapeDataString(from));
        }

        if (to is not null)
        {
            query.Add("to=" + Uri.EscapeDataString(to));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/workspaces/{Uri.EscapeDataString(workspaceId)}/export?{string.Join('&', query)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (gzip)
        {
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            Console.Error.WriteLine($"dcs: the API did not answer: {ex.Message}");
            return ExitCodes.Server;
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                JsonNode? body = null;
                try
                {
                    body = text.Length > 0 ? JsonNode.Parse(text) : null;
                }
                catch (JsonException)
                {
                    body = JsonValue.Create(text);
                }

                var answer = new ApiAnswer((int)response.StatusCode, body);
                Console.Error.WriteLine($"dcs: {answer.Describe()}");
                return answer.ExitCode;
            }

            var clock = Stopwatch.StartNew();
            long bytes = 0;
            await using var file = File.Create(path);
            await using var responseBody = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[128 * 1024];
            try
            {
                await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new SpinnerColumn(), new ElapsedTimeColumn()).StartAsync(async progress =>
                {
                    var task = progress.AddTask($"export {workspaceId}");
                    task.IsIndeterminate = true;
                    int read;
                    while ((read = await responseBody.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                        bytes += read;
                        task.Description = string.Create(CultureInfo.InvariantCulture, $"export {workspaceId}: {bytes / 1048576.0:0.0} MiB");
                    }

                    task.IsIndeterminate = false;
                    task.Value = task.MaxValue;
                });
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                Console.Error.WriteLine($"dcs: the export was cut off after {bytes} bytes ({ex.Message}); {path} is incomplete");
                return ExitCodes.Server;
            }

            Console.Out.WriteLine(JsonSerializer.Serialize(new { file = path, bytes, gzip = response.Content.Headers.ContentEncoding.Contains("gzip"), seconds = Math.Round(clock.Elapsed.TotalSeconds, 3) }));
            return ExitCodes.Ok;
        }
    }

    public static async Task<int> ImportAsync(string path, Uri influxUrl, string database, string? user, string? password, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"dcs: no such file: {path}");
            return ExitCodes.Usage;
        }

        using var influx = new InfluxClient(new InfluxOptions { Url = influxUrl, Database = database, User = user, Password = password, MaxRetries = 3 });
        await using var file = File.OpenRead(path);
        var clock = Stopwatch.StartNew();
        ImportResult result;
        try
        {
            result = await new LineProtocolImport(influx).RunAsync(file, LineProtocolImport.IsGzip(file), cancellationToken);

            // An export made before the per-device layout carries measurements values/meta: moved like a live database.
            await new StorageLayoutMigration(influx).RunAsync(cancellationToken);
        }
        catch (InfluxException ex)
        {
            Console.Error.WriteLine($"dcs: InfluxDB: {ex.Message}");
            return ExitCodes.Server;
        }

        var verified = result.Complete && result.ExpectedPoints == result.Points;
        Console.Out.WriteLine(JsonSerializer.Serialize(new
        {
            database,
            points = result.Points,
            pointsByPolicy = result.PointsByPolicy,
            complete = result.Complete,
            expectedPoints = result.ExpectedPoints,
            seconds = Math.Round(clock.Elapsed.TotalSeconds, 3),
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
        if (!verified)
        {
            Console.Error.WriteLine("dcs: the file has no complete export summary, or its point count differs from what was written");
        }

        return verified ? ExitCodes.Ok : ExitCodes.VerificationFailed;
    }
}
