using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RealTimeDistributor.Distributor.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AddSkillGroupWallboardThresholds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "longest_wait_amber_seconds",
                table: "skillgroup",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "longest_wait_red_seconds",
                table: "skillgroup",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "not_ready_amber_seconds",
                table: "skillgroup",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "not_ready_red_seconds",
                table: "skillgroup",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "queue_amber",
                table: "skillgroup",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "queue_red",
                table: "skillgroup",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "service_level_amber",
                table: "skillgroup",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "service_level_green",
                table: "skillgroup",
                type: "integer",
                nullable: false,
                defaultValue: 0);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "longest_wait_amber_seconds",
                table: "skillgroup");

            migrationBuilder.DropColumn(
                name: "longest_wait_red_seconds",
                table: "skillgroup");

            migrationBuilder.DropColumn(
                name: "not_ready_amber_seconds",
                table: "skillgroup");

            migrationBuilder.DropColumn(
                name: "not_ready_red_seconds",
                table: "skillgroup");

            migrationBuilder.DropColumn(
                name: "queue_amber",
                table: "skillgroup");

            migrationBuilder.DropColumn(
                name: "queue_red",
                table: "skillgroup");

            migrationBuilder.DropColumn(
                name: "service_level_amber",
                table: "skillgroup");

            migrationBuilder.DropColumn(
                name: "service_level_green",
                table: "skillgroup");
        }
    }
}
