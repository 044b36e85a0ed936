import { CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'lfs_objects_projects' })
export class LfsObjectsProject {
  @PrimaryColumn({ name: 'lfs_object_id', type: 'bigint' })
  lfsObjectId!: string;

  @PrimaryColumn({ name: 'project_id', type: 'bigint' })
  projectId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
