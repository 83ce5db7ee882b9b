using Microsoft.EntityFrameworkCore;
using NpgsqlTypes;
using RealTimeDistributor.Central.Persistence;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Data;

/// <summary>The typed table descriptors (<see cref="ConfigTables"/>) against the EF Core mapping, and what they bind.</summary>
public sealed class When_configuration_tables_are_described
{
    // building a model needs no database: the connection string is never opened
    private const string NoDatabase = "Host=unused";

    [Fact]
    public void Should_match_the_replica_mapping_column_for_column()
    {
        using var db = new ReplicaDbContext(new DbContextOptionsBuilder<ReplicaDbContext>().UseNpgsql(NoDatabase).Options);
        ConfigTables.Verify(db.Model);
    }

    [Fact]
    public void Should_match_the_central_mapping_column_for_column()
    {
        using var db = new CentralDbContext(new DbContextOptionsBuilder<CentralDbContext>().UseNpgsql(NoDatabase).Options);
        ConfigTables.Verify(db.Model);
    }

    [Fact]
    public void Should_refuse_a_model_whose_columns_differ()
    {
        using var db = new ReplicaDbContext(new DbContextOptionsBuilder<ReplicaDbContext>().UseNpgsql(NoDatabase).Options);
        var drifted = new ConfigTable<Agent>("agent", ConfigColumn<Agent>.Of("name", r => r.Name));

        Assert.Throws<InvalidOperationException>(() => drifted.Verify(db.Model));
    }

    [Fact]
    public void Should_bind_every_column_of_a_row_with_its_type()
    {
        ConfigTables.TryFind("routingscript", out var table);
        var row = new RoutingScript { Id = 4, ConfigSequence = 9, Name = "main", Revision = 3, Body = "route" };

        var parameters = table.Upsert(row).Parameters;

        Assert.Equal(table.ColumnNames.Count, parameters.Count);
        Assert.Equal([4L, 9L, "main", 3, "route"], parameters.Select(p => p.Value));
        Assert.Equal([NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Integer, NpgsqlDbType.Text],
            parameters.Select(p => p.NpgsqlDbType));
    }

    [Fact]
    public void Should_bind_one_array_per_column_for_many_rows()
    {
        ConfigTables.TryFind("skillgroupmember", out var table);
        ConfigRow[] rows = [new SkillGroupMember { Id = 1, AgentId = 10, SkillGroupId = 20 }, new SkillGroupMember { Id = 2, AgentId = 11, SkillGroupId = 21 }];

        var parameters = table.UpsertMany(rows).Parameters;

        Assert.Equal(["id", "config_sequence", "agent_id", "skill_group_id"], table.ColumnNames);
        Assert.Equal(new long[] { 10, 11 }, (long[])parameters[2].Value!);
        Assert.Equal(new long[] { 20, 21 }, (long[])parameters[3].Value!);
        Assert.All(parameters, p => Assert.True(p.NpgsqlDbType.HasFlag(NpgsqlDbType.Array)));
    }

    [Fact]
    public void Should_read_a_row_of_its_own_type_from_json()
    {
        ConfigTables.TryFind("calltype", out var table);

        var row = table.Deserialize(Json.ToElement(new { id = 5, configSequence = 2, name = "sales", serviceLevelSeconds = 30 }), Json.Options);

        var callType = Assert.IsType<CallType>(row);
        Assert.Equal((5L, "sales", 30), (callType.Id, callType.Name, callType.ServiceLevelSeconds));
    }

    [Fact]
    public void Should_list_the_tables_parents_first()
    {
        Assert.Equal(["peripheral", "reasoncode", "skillgroup", "agent", "skillgroupmember", "team", "teammember", "teamsupervisor", "calltype", "service", "routingscript"],
            ConfigTables.All.Select(t => t.Name));
    }
}
