// PitfallWidget: the widgets table mapped with two EclipseLink features that
// do not work with it, pinned by JpaTap so that doc/orm/jpa.md stays true:
// IDENTITY ids (EclipseLink reads them with "select lastval()", which after
// the audit trigger's INSERT into the log is the log's id) and @ReturnUpdate
// together with @Version (a stale UPDATE, 0 rows returned, throws a
// NullPointerException instead of OptimisticLockException).
package ormt;

import java.sql.Timestamp;
import javax.persistence.Column;
import javax.persistence.Entity;
import javax.persistence.GeneratedValue;
import javax.persistence.GenerationType;
import javax.persistence.Id;
import javax.persistence.Table;
import javax.persistence.Version;
import org.eclipse.persistence.annotations.ReturnUpdate;

@Entity
@Table(name = "widgets")
public class PitfallWidget {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    public String name;
    public int price;

    @Version
    @Column(name = "lock_version")
    public int lockVersion;

    @ReturnUpdate
    @Column(name = "updated_at")
    public Timestamp updatedAt;
}
