using System.Text;
using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Data.Configuration;

namespace RealTimeDistributor.Data;

/// <summary>The EF Core mapping shared by the central database and the site replicas.</summary>
public static class ModelConventions
{
    public static void ConfigureConfiguration(ModelBuilder model)
    {
        model.Entity<Peripheral>(e => e.HasIndex(x => x.Name).IsUnique());
        model.Entity<SkillGroup>(e =>
        {
            e.HasIndex(x => x.Name).IsUnique();
            e.HasOne<Peripheral>().WithMany().HasForeignKey(x => x.PeripheralId).OnDelete(DeleteBehavior.Restrict);
        });
        model.Entity<Agent>(e =>
        {
            e.HasIndex(x => x.Name).IsUnique();
            e.HasOne<Peripheral>().WithMany().HasForeignKey(x => x.PeripheralId).OnDelete(DeleteBehavior.Restrict);
        });
        model.Entity<SkillGroupMember>(e =>
        {
            e.HasIndex(x => new { x.AgentId, x.SkillGroupId }).IsUnique();
            e.HasOne<Agent>().WithMany().HasForeignKey(x => x.AgentId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<SkillGroup>().WithMany().HasForeignKey(x => x.SkillGroupId).OnDelete(DeleteBehavior.Restrict);
        });
        model.Entity<CallType>(e => e.HasIndex(x => x.Name).IsUnique());
        model.Entity<Service>(e =>
        {
            e.HasIndex(x => x.Name).IsUnique();
            e.HasOne<Peripheral>().WithMany().HasForeignKey(x => x.PeripheralId).OnDelete(DeleteBehavior.Restrict);
        });
        model.Entity<RoutingScript>(e => e.HasIndex(x => x.Name).IsUnique());
        model.Entity<ReasonCode>(e =>
        {
            e.HasIndex(x => new { x.PeripheralId, x.Code }).IsUnique();
            e.HasOne<Peripheral>().WithMany().HasForeignKey(x => x.PeripheralId).OnDelete(DeleteBehavior.Restrict);
        });
        model.Entity<Team>(e =>
        {
            e.HasIndex(x => x.Name).IsUnique();
            e.HasOne<Peripheral>().WithMany().HasForeignKey(x => x.PeripheralId).OnDelete(DeleteBehavior.Restrict);
        });
        model.Entity<TeamMember>(e =>
        {
            // one team per agent, as in ICM
            e.HasIndex(x => x.AgentId).IsUnique();
            e.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<Agent>().WithMany().HasForeignKey(x => x.AgentId).OnDelete(DeleteBehavior.Restrict);
        });
        model.Entity<TeamSupervisor>(e =>
        {
            e.HasIndex(x => new { x.TeamId, x.AgentId }).IsUnique();
            e.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<Agent>().WithMany().HasForeignKey(x => x.AgentId).OnDelete(DeleteBehavior.Restrict);
        });
        foreach (var (name, type) in ConfigTables.All)
        {
            model.Entity(type).ToTable(name);
            model.Entity(type).Property(nameof(ConfigRow.Id)).ValueGeneratedNever();
        }
    }

    /// <summary>snake_case column names, so the databases read well in psql.</summary>
    public static void UseSnakeCaseColumns(ModelBuilder model)
    {
        foreach (var entity in model.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase(property.Name));
            }
        }
    }

    public static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }
            builder.Append(char.ToLowerInvariant(name[i]));
        }
        return builder.ToString();
    }
}
