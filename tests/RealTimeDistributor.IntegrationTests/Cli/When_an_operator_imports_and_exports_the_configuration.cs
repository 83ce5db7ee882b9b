using RealTimeDistributor.Cli;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.IntegrationTests.Cli;

/// <summary>`rtd config export` and `rtd config import` against a real center: round trips, dry runs, CSV edits, deletions.</summary>
public sealed class When_an_operator_imports_and_exports_the_configuration : SystemTest
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rtd-import-").FullName;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedPeripheralAsync();
        await PutAsync("skillgroup", 10, new { name = "Sales, EMEA", peripheralId = 1, serviceLevelGreen = 85, notReadyRedSeconds = 300 });
        await PutAsync("agent", 100, new { name = "Ana \"the closer\"", peripheralId = 1 });
        await PutAsync("skillgroupmember", 1000, new { agentId = 100, skillGroupId = 10 });
        await PutAsync("reasoncode", 2, new { peripheralId = 1, code = 2, text = "Lunch, late" });
        await PutAsync("team", 3, new { name = "Team \"A\"", peripheralId = 1 });
        await PutAsync("teammember", 4, new { teamId = 3, agentId = 100 });
        await PutAsync("teamsupervisor", 5, new { teamId = 3, agentId = 100 });
        await PutAsync("routingscript", 7, new { name = "Main", revision = 1, body = "if x,\n  then \"y\"" });
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<string> RunAsync(Func<TextWriter, Task<int>> command)
    {
        var output = new StringWriter();
        Assert.Equal(0, await command(output));
        return output.ToString();
    }

    private Task<string> ExportAsync(params string[] args) =>
        RunAsync(output => ConfigCommand.ExportAsync(Rtd.CentralApi, Options.Parse(args), output));

    private Task<string> ImportAsync(string path, bool dryRun) =>
        RunAsync(output => ConfigCommand.ImportAsync(Rtd.CentralApi, path, dryRun, Options.Parse([]), output));

    [Theory]
    [InlineData("center.json", "json")]
    [InlineData("tables", "csv")]
    public async Task Should_show_no_change_when_importing_what_was_just_exported(string name, string format)
    {
        var path = Path.Combine(_directory, name);
        await ExportAsync("--out", path, "--format", format);
        var before = await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence");

        var plan = await ImportAsync(path, dryRun: false);

        Assert.Contains("skillgroup: 0 new, 0 changed, 1 unchanged, 0 deleted", plan);
        Assert.Contains("routingscript: 0 new, 0 changed, 1 unchanged, 0 deleted", plan);
        Assert.Contains("reasoncode: 0 new, 0 changed, 1 unchanged, 0 deleted", plan);
        Assert.Contains("teamsupervisor: 0 new, 0 changed, 1 unchanged, 0 deleted", plan);
        Assert.Contains("imported: 0 changes committed", plan);
        Assert.Equal(before, await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence"));
    }

    [Fact]
    public async Task Should_show_an_edited_csv_in_a_dry_run_and_apply_it_on_import()
    {
        var path = Path.Combine(_directory, "agent.csv");
        await ExportAsync("--table", "agent", "--out", path);
        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(["id,name,peripheralId", "100,\"Ana \"\"the closer\"\"\",1"], lines);
        await File.WriteAllLinesAsync(path, [lines[0], "100,Ana Lima,1", "101,Ben,1"]);
        var before = await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence");

        var dryRun = await ImportAsync(path, dryRun: true);

        Assert.Contains("agent: 1 new, 1 changed, 0 unchanged, 0 deleted", dryRun);
        Assert.Contains("changed agent 100: {\"id\":100,\"name\":\"Ana Lima\",\"peripheralId\":1}", dryRun);
        Assert.Contains("new agent 101", dryRun);
        Assert.Equal(before, await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence"));

        var import = await ImportAsync(path, dryRun: false);

        Assert.Contains("imported: 2 changes committed", import);
        Assert.Equal(before + 2, await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence"));
        Assert.Equal(1, await Rtd.CentralScalarAsync("SELECT count(*) FROM agent WHERE id = 100 AND name = 'Ana Lima'"));
        Assert.Equal(1, await Rtd.CentralScalarAsync("SELECT count(*) FROM agent WHERE id = 101 AND name = 'Ben'"));
        Assert.Contains("agent: 0 new, 0 changed, 2 unchanged", await ImportAsync(path, dryRun: true));
    }

    [Fact]
    public async Task Should_delete_rows_marked_for_deletion_children_first()
    {
        var path = Path.Combine(_directory, "remove.json");
        await File.WriteAllTextAsync(path, """
            {
              "agent": [{ "id": 100, "op": "delete" }],
              "skillgroupmember": [{ "id": 1000, "op": "delete" }],
              "teamsupervisor": [{ "id": 5, "op": "delete" }],
              "teammember": [{ "id": 4, "op": "delete" }],
              "calltype": [{ "id": 5, "name": "Billing", "serviceLevelSeconds": 30 }]
            }
            """);

        var import = await ImportAsync(path, dryRun: false);

        Assert.Contains("agent: 0 new, 0 changed, 0 unchanged, 1 deleted", import);
        Assert.Contains("imported: 5 changes committed", import);
        Assert.Equal(0, await Rtd.CentralScalarAsync("SELECT count(*) FROM agent"));
        Assert.Equal(0, await Rtd.CentralScalarAsync("SELECT count(*) FROM skillgroupmember"));
        Assert.Equal(0, await Rtd.CentralScalarAsync("SELECT count(*) FROM teammember"));
        Assert.Equal(1, await Rtd.CentralScalarAsync("SELECT count(*) FROM calltype WHERE service_level_seconds = 30"));
    }

    [Fact]
    public async Task Should_stop_at_a_refused_batch_and_name_the_refused_row()
    {
        var path = Path.Combine(_directory, "agent.csv");
        await File.WriteAllTextAsync(path, "id,name,peripheralId\n200,Cy,1\n201,Di,99\n");

        var failure = await Assert.ThrowsAsync<CommandFailedException>(() => ImportAsync(path, dryRun: false));

        Assert.Contains("agent 201: peripheral_id 99 names no peripheral", failure.Message);
        Assert.Equal(0, await Rtd.CentralScalarAsync("SELECT count(*) FROM agent WHERE id = 200"));
    }
}
