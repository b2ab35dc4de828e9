// SoftDeleteCustomizer: EntityManager.remove() of a Widget soft-deletes it
// with an UPDATE that keeps the @Version check (doc/orm/jpa.md).
package ormt;

import org.eclipse.persistence.config.DescriptorCustomizer;
import org.eclipse.persistence.descriptors.ClassDescriptor;

// recipe:begin soft-delete-customizer
// EclipseLink checks the row count of a versioned entity's DELETE, and the
// soft_delete trigger makes that DELETE report 0 rows: remove() would throw
// OptimisticLockException.  So remove() sends the soft delete itself, an
// UPDATE guarded by the version it read (0 rows when stale: the same
// OptimisticLockException as before); the trigger soft-deletes every other
// DELETE (JPQL bulk DELETE, native SQL, psql).  #ID and #lock_version are
// the row's column values as EclipseLink names the columns (an unnamed
// column is upper case).
public class SoftDeleteCustomizer implements DescriptorCustomizer {
    @Override
    public void customize(ClassDescriptor descriptor) {
        descriptor.getQueryManager().setDeleteSQLString(
            "UPDATE widgets SET deleted_at = now() WHERE id = #ID AND lock_version = #lock_version");
    }
}
// recipe:end soft-delete-customizer
