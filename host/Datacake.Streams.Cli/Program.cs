using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Datacake.Streams.Cli;
using Spectre.Console;

// dcs: the operator CLI. Exit codes: see ExitCodes (0 ok, 2 usage, 3 auth, 4 not found, 5 server, 6 verification failed).
var urlOption = new Option<string>("--url") { Description = "API base URL (default $DCS_API_URL or http://127.0.0.1:8080)", Recursive = true };
var tokenFileOption = new Option<string?>("--token-file") { Description = "File with the operator token (default: $DCS_OPERATOR_TOKEN)", Recursive = true };
var root = new RootCommand("Datacake.Streams operator CLI") { Options = { urlOption, tokenFileOption } };

// users create
var email = new Option<string>("--email") { Description = "The new user's e-mail", Required = true };
var users = new Command("users", "Users");
var usersCreate = new Command("create", "Create a user; prints its id and token (shown once)") { Options = { email } };
usersCreate.SetAction((parse, ct) => Api(parse, ct, api => api.PostAsync("/v1/users", new { email = parse.GetValue(email) }, ct)));
users.Subcommands.Add(usersCreate);
root.Subcommands.Add(users);

// retention show|set
var retention = new Command("retention", "Retention tiers");
var retentionShow = new Command("show", "Show the tiers");
retentionShow.SetAction((parse, ct) => Api(parse, ct, api => api.GetAsync("/v1/ops/retention", ct)));
var tiers = new[] { "raw", "m1", "h1", "meta" }.Select(t => new Option<string?>("--" + t) { Description = $"Duration of tier {t}, e.g. 30d" }).ToArray();
var retentionSet = new Command("set", "Change tier durations, e.g. --raw 30d --h1 1825d");
foreach (var tier in tiers)
{
    retentionSet.Options.Add(tier);
}

retentionSet.SetAction((parse, ct) =>
{
    var body = new JsonObject();
    foreach (var tier in tiers)
    {
        if (parse.GetValue(tier) is { Length: > 0 } duration)
        {
            body[tier.Name.TrimStart('-')] = new JsonObject { ["duration"] = duration };
        }
    }

    if (body.Count == 0)
    {
        Console.Error.WriteLine("dcs retention set: name at least one tier (--raw, --m1, --h1, --meta)");
        return Task.FromResult(ExitCodes.Usage);
    }

    return Api(parse, ct, api => api.PutAsync("/v1/ops/retention", body, ct));
});
retention.Subcommands.Add(retentionShow);
retention.Subcommands.Add(retentionSet);
root.Subcommands.Add(retention);

// backup now|list|verify|restore|restore-device
var backup = new Command("backup", "Backups");
var backupNow = new Command("now", "Take a backup now and wait until it is copied to the second site and verified (progress on stderr)");
backupNow.SetAction((parse, ct) => WithApi(parse, ct, async api =>
{
    var started = await api.PostAsync("/v1/ops/backups", null, ct);
    if (started.ExitCode != ExitCodes.Ok)
    {
        return Fail(started);
    }

    var id = started.Body?["id"]?.GetValue<string>() ?? "";
    ApiAnswer? done = null;
    await OperatorConsole.Progress().StartAsync(async progress =>
    {
        var task = progress.AddTask($"backup {id}");
        task.IsIndeterminate = true;
        while (!ct.IsCancellationRequested)
        {
            var listing = await api.GetAsync("/v1/ops/backups", ct);
            if (listing.ExitCode != ExitCodes.Ok)
            {
                done = listing;
                break;
            }

            // Listed once its manifest is written; done once the second site's copy is verified too.
            var entry = listing.Body?["backups"]?.AsArray().FirstOrDefault(b => b?["manifest"]?["id"]?.GetValue<string>() == id);
            var running = listing.Body?["running"]?.GetValue<string>() == id;
            if (entry is not null && (entry["verification"] is not null || !running))
            {
                done = new ApiAnswer(200, entry.DeepClone());
                break;
            }

            if (listing.Body?["lastFailure"]?["id"]?.GetValue<string>() == id)
            {
                done = new ApiAnswer(500, new JsonObject { ["title"] = "Backup failed", ["detail"] = listing.Body["lastFailure"]!["reason"]!.GetValue<string>() });
                break;
            }

            if (entry is null && !running)
            {
                done = new ApiAnswer(500, new JsonObject { ["title"] = "Backup failed", ["detail"] = $"backup {id} is neither running nor listed; see the server's log" });
                break;
            }

            await Task.Delay(250, ct);
        }

        task.IsIndeterminate = false;
        task.Value = task.MaxValue;
    });
    if (done is null)
    {
        return ExitCodes.Server;
    }

    var code = Print(done);
    if (code == ExitCodes.Ok && done.Body?["verification"]?["secondaryOk"]?.GetValue<bool>() != true)
    {
        Console.Error.WriteLine($"dcs: backup {id} was taken but its copy on the second site is not verified: {done.Body?["verification"]?["problems"]?.ToJsonString()}");
        return ExitCodes.VerificationFailed;
    }

    return code;
}));
var backupList = new Command("list", "List backups with their manifests and verification");
backupList.SetAction((parse, ct) => Api(parse, ct, api => api.GetAsync("/v1/ops/backups", ct)));
var idArgument = new Argument<string>("id") { Description = "Backup id (bk-...)" };
var backupVerify = new Command("verify", "Check both sites' files against the manifest") { Arguments = { idArgument } };
backupVerify.SetAction((parse, ct) => WithApi(parse, ct, async api =>
{
    var answer = await api.PostAsync($"/v1/ops/backups/{parse.GetValue(idArgument)}/verify", null, ct);
    var code = Print(answer);
    return code == ExitCodes.Ok && answer.Body?["ok"]?.GetValue<bool>() != true ? ExitCodes.VerificationFailed : code;
}));
var swap = new Option<bool>("--swap") { Description = "Copy the verified restore back into the live database" };
var confirm = new Option<bool>("--confirm") { Description = "Needed with --swap: it writes into the live database" };
var backupRestore = new Command("restore", "Restore into a new database and verify its counts") { Arguments = { idArgument }, Options = { swap, confirm } };
backupRestore.SetAction((parse, ct) =>
{
    if (parse.GetValue(swap) && !parse.GetValue(confirm))
    {
        Console.Error.WriteLine("dcs backup restore: --swap writes the backup's points into the live database: add --confirm");
        return Task.FromResult(ExitCodes.Usage);
    }

    return Api(parse, ct, api => Spin("restore", () => api.PostAsync(
        $"/v1/ops/backups/{parse.GetValue(idArgument)}/restore",
        new { target = parse.GetValue(swap) ? "swap" : "new", swap = parse.GetValue(swap), confirm = parse.GetValue(confirm) },
        ct)));
});
var device = new Option<string>("--device") { Description = "The device id (dev_...)", Required = true };
var backupRestoreDevice = new Command("restore-device", "Bring one device's points back into the live database") { Arguments = { idArgument }, Options = { device } };
backupRestoreDevice.SetAction((parse, ct) => Api(parse, ct, api => Spin("restore device", () => api.PostAsync(
    $"/v1/ops/backups/{parse.GetValue(idArgument)}/restore-device", new { deviceId = parse.GetValue(device) }, ct))));
foreach (var command in new[] { backupNow, backupList, backupVerify, backupRestore, backupRestoreDevice })
{
    backup.Subcommands.Add(command);
}

root.Subcommands.Add(backup);

// drill: the restore step of ops/failover-drill.sh (local; no API involved)
var secondary = new Option<string>("--secondary") { Description = "The second site's backup folder", Required = true };
var influxUrl = new Option<string>("--influx-url") { Description = "HTTP URL of the fresh influxd", Required = true };
var backupHost = new Option<string>("--backup-host") { Description = "host:port of the fresh influxd's backup RPC", Required = true };
var influxd = new Option<string>("--influxd") { Description = "influxd binary", DefaultValueFactory = _ => "influxd" };
var influxUser = new Option<string?>("--influx-user") { Description = "InfluxDB user (when auth is on)" };
var influxPassword = new Option<string?>("--influx-password") { Description = "InfluxDB password (or $DCS_DRILL_INFLUX_PASSWORD)" };
var metadataTo = new Option<string?>("--metadata-to") { Description = "Also restore the newest metadata store snapshot to this file (the standby host's <data>/metadata.db)" };
var drill = new Command("drill", "Restore the newest backup of the second site into a fresh influxd and verify it (used by ops/failover-drill.sh)")
{
    Options = { secondary, influxUrl, backupHost, influxd, influxUser, influxPassword, metadataTo },
};
drill.SetAction((parse, ct) =>
{
    if (!Uri.TryCreate(parse.GetValue(influxUrl), UriKind.Absolute, out var url))
    {
        Console.Error.WriteLine($"dcs drill: --influx-url '{parse.GetValue(influxUrl)}' is not a URL");
        return Task.FromResult(ExitCodes.Usage);
    }

    var request = new DrillRequest(parse.GetValue(secondary)!, url, parse.GetValue(backupHost)!)
    {
        Influxd = parse.GetValue(influxd)!,
        User = parse.GetValue(influxUser),
        Password = parse.GetValue(influxPassword) ?? Environment.GetEnvironmentVariable("DCS_DRILL_INFLUX_PASSWORD"),
        MetadataTo = parse.GetValue(metadataTo),
    };
    return Drill.RunAsync(request, Console.Out, ct);
});
root.Subcommands.Add(drill);

// export / import: a workspace's points to a file with the owner's or an admin's token; a file into a new database
var workspaceArgument = new Argument<string>("workspace") { Description = "Workspace id (ws_...)" };
var outOption = new Option<string>("--out") { Description = "File to write", Required = true };
var formatOption = new Option<string>("--format") { Description = "lp (re-importable), csv or json", DefaultValueFactory = _ => "lp" };
var fromOption = new Option<string?>("--from") { Description = "Start, RFC 3339 or epoch ms (default: the first point)" };
var toOption = new Option<string?>("--to") { Description = "End, exclusive (default: the last point)" };
var gzipOption = new Option<bool>("--gzip") { Description = "Ask for gzip and keep the file compressed" };
var export = new Command("export", "Export a workspace and its sub-workspaces (token of an owner or admin: --token-file or $DCS_TOKEN)")
{
    Arguments = { workspaceArgument },
    Options = { outOption, formatOption, fromOption, toOption, gzipOption },
};
export.SetAction(async (parse, ct) =>
{
    var tokenFile = parse.GetValue(tokenFileOption);
    var token = tokenFile is { Length: > 0 } ? ApiClient.ReadToken(tokenFile) : Environment.GetEnvironmentVariable("DCS_TOKEN")?.Trim();
    if (string.IsNullOrEmpty(token))
    {
        Console.Error.WriteLine("dcs export: no token: set DCS_TOKEN or pass --token-file");
        return ExitCodes.Auth;
    }

    var url = parse.GetValue(urlOption) ?? Environment.GetEnvironmentVariable("DCS_API_URL") ?? "http://127.0.0.1:8080";
    if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUrl))
    {
        Console.Error.WriteLine($"dcs: --url '{url}' is not a URL");
        return ExitCodes.Usage;
    }

    return await Transfer.ExportAsync(baseUrl, token, parse.GetValue(workspaceArgument)!, parse.GetValue(outOption)!, parse.GetValue(formatOption)!, parse.GetValue(fromOption), parse.GetValue(toOption), parse.GetValue(gzipOption), ct);
});
root.Subcommands.Add(export);
var fileArgument = new Argument<string>("file") { Description = "An export in line protocol (plain or gzip)" };
var databaseOption = new Option<string>("--database") { Description = "Database to create and write into", Required = true };
var importInfluxUrl = new Option<string>("--influx-url") { Description = "HTTP URL of influxd", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DCS_INFLUX_URL") ?? "http://127.0.0.1:8086" };
var importUser = new Option<string?>("--influx-user") { Description = "InfluxDB user (default $DCS_INFLUX_USER)" };
var importPassword = new Option<string?>("--influx-password") { Description = "InfluxDB password (default $DCS_INFLUX_PASSWORD)" };
var import = new Command("import", "Write an export into a new InfluxDB database and check it against the file's summary")
{
    Arguments = { fileArgument },
    Options = { databaseOption, importInfluxUrl, importUser, importPassword },
};
import.SetAction((parse, ct) => Transfer.ImportAsync(
    parse.GetValue(fileArgument)!,
    new Uri(parse.GetValue(importInfluxUrl)!),
    parse.GetValue(databaseOption)!,
    parse.GetValue(importUser) ?? Environment.GetEnvironmentVariable("DCS_INFLUX_USER"),
    parse.GetValue(importPassword) ?? Environment.GetEnvironmentVariable("DCS_INFLUX_PASSWORD"),
    ct));
root.Subcommands.Add(import);

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"dcs: {error.Message}");
    }

    return ExitCodes.Usage;
}

return await parsed.InvokeAsync();

Task<int> Api(ParseResult parse, CancellationToken ct, Func<ApiClient, Task<ApiAnswer>> call) =>
    WithApi(parse, ct, async api => Print(await call(api)));

async Task<int> WithApi(ParseResult parse, CancellationToken ct, Func<ApiClient, Task<int>> work)
{
    var token = ApiClient.ReadToken(parse.GetValue(tokenFileOption));
    if (token is null)
    {
        Console.Error.WriteLine("dcs: no operator token: set DCS_OPERATOR_TOKEN or pass --token-file");
        return ExitCodes.Auth;
    }

    var url = parse.GetValue(urlOption) ?? Environment.GetEnvironmentVariable("DCS_API_URL") ?? "http://127.0.0.1:8080";
    if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUrl))
    {
        Console.Error.WriteLine($"dcs: --url '{url}' is not a URL");
        return ExitCodes.Usage;
    }

    using var api = new ApiClient(baseUrl, token);
    return await work(api);
}

static async Task<ApiAnswer> Spin(string what, Func<Task<ApiAnswer>> call)
{
    ApiAnswer? answer = null;
    await OperatorConsole.Progress().StartAsync(async progress =>
    {
        var task = progress.AddTask(what);
        task.IsIndeterminate = true;
        answer = await call();
        task.IsIndeterminate = false;
        task.Value = task.MaxValue;
    });
    return answer!;
}

static int Print(ApiAnswer answer)
{
    if (answer.ExitCode != ExitCodes.Ok)
    {
        return Fail(answer);
    }

    Console.Out.WriteLine(answer.Body?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "");
    return ExitCodes.Ok;
}

static int Fail(ApiAnswer answer)
{
    Console.Error.WriteLine($"dcs: {answer.Describe()}");
    return answer.ExitCode;
}
